import Foundation

/// Asks glibc's allocator to back the heap with transparent huge pages, and to serve blocks up
/// to 32 MiB from the heap rather than from fresh mappings, by re-executing the binary once with
/// `GLIBC_TUNABLES` set (glibc reads tunables only at start).
///
/// A million accounts spread a couple of gigabytes of small objects over the heap; with 4 KiB
/// pages every account lookup risks a TLB miss and restoring a snapshot takes a page fault per
/// 4 KiB. librdkafka decompresses each fetched batch into a buffer of a few MiB: served from a
/// fresh mapping, every one costs the kernel zeroing new pages (slow on virtual machines), where
/// a heap block is reused. glibc raises its mapping threshold by itself after the first such
/// free, but only while no related tunable is set, so it is set here explicitly, with the heap
/// trim threshold glibc would then pair with it (twice the mapping threshold): left at its
/// 128 KiB default, freed heap would go back to the kernel and come back as pages to zero.
/// (bench kafka, Leadflow's consumer: 0.90-0.93 M msgs/s with it, 0.81-0.84 M without.)
///
/// An earlier version also grew the heap 64 MiB at a time (`glibc.malloc.top_pad`): the engine
/// alone ran 8% faster with it, but the daemon ran 20% slower end to end and a plain librdkafka
/// consumer in the same process half as fast, because setting it disables that threshold
/// raising. `LEADFLOW_HUGE_PAGES=off` opts out; tunables already set are respected; kernels with
/// huge pages set to `never` simply ignore the request.
enum HugePages {
    static let tunables = ["glibc.malloc.hugetlb": "1", "glibc.malloc.mmap_threshold": "33554432", "glibc.malloc.trim_threshold": "67108864"]

    static func enableByReexecuting() {
        #if os(Linux)
        let environment = ProcessInfo.processInfo.environment
        let current = environment["GLIBC_TUNABLES"] ?? ""
        guard environment["LEADFLOW_HUGE_PAGES"] != "off", !current.contains("glibc.malloc.hugetlb") else { return }
        let added = tunables.sorted { $0.key < $1.key }.filter { !current.contains($0.key) }.map { "\($0.key)=\($0.value)" }
        setenv("GLIBC_TUNABLES", ([current].filter { !$0.isEmpty } + added).joined(separator: ":"), 1)
        // The binary's real path, not /proc/self/exe: the kernel names a process after the file
        // it executes, and ps, top and kill scripts should see `leadflow`, not `exe`.
        let path = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? "/proc/self/exe"
        execv(path, CommandLine.unsafeArgv)
        // Exec failed (no /proc, say): carry on with ordinary pages, and do not retry in children.
        setenv("GLIBC_TUNABLES", current.isEmpty ? "glibc.malloc.hugetlb=0" : current + ":glibc.malloc.hugetlb=0", 1)
        #endif
    }
}
