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
/// The heap also grows 64 MiB at a time (`glibc.malloc.top_pad`): glibc asks for huge pages only
/// on growth of at least one huge page, so with its 128 KiB default the heap the accounts live
/// in stayed on 4 KiB pages, and each growth was a system call. (bench core at 1M accounts,
/// seven alternating runs pinned to one core: median 302,000 events/s with it, 240,000 without,
/// and 411 bytes/account against 446; bench e2e daemon median 159,000 against 155,000 events/s,
/// within the spread.) An earlier version set it without the mapping threshold, which disabled
/// glibc's own raising of that threshold and slowed the daemon end to end; tried then with the
/// threshold but without the trim threshold, the daemon also measured slower (208-230k against
/// 286-355k events/s over 400,000 events), which the runs above, with all three, did not show.
/// `LEADFLOW_HUGE_PAGES=off` opts out; tunables already set are respected; kernels with huge
/// pages set to `never` ignore the request.
enum HugePages {
    static let tunables = [
        "glibc.malloc.hugetlb": "1", "glibc.malloc.mmap_threshold": "33554432", "glibc.malloc.trim_threshold": "67108864",
        "glibc.malloc.top_pad": "67108864",
    ]

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
