// The one place Leadflow includes librdkafka (Debian's librdkafka-dev).
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
