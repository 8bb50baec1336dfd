#ifndef LEADFLOW_CCHECKSUM_H
#define LEADFLOW_CCHECKSUM_H

#include <stddef.h>
#include <stdint.h>

/// Whether this processor has the CRC-32C instruction (x86-64 SSE4.2); checked once at run time,
/// since a build may run on a machine without it.
int leadflow_crc32c_hardware_available(void);

/// Folds `count` bytes into `crc` (already inverted by the caller, as the table-driven version
/// does) with the CRC-32C instruction. Only call when `leadflow_crc32c_hardware_available()`.
uint32_t leadflow_crc32c_hardware(uint32_t crc, const void *bytes, size_t count);

#endif
