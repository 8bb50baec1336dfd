import Foundation

/// Reads a file descriptor line by line in large chunks (JSON Lines input of any size).
struct LineReader {
    private let descriptor: Int32
    private var buffer: [UInt8] = []
    private var start = 0
    private var finished = false

    init(descriptor: Int32) { self.descriptor = descriptor }

    /// The next line without its newline (and without a trailing `\r`), or nil at the end.
    mutating func next() -> [UInt8]? {
        while true {
            if let newline = buffer[start...].firstIndex(of: 10) {
                var line = Array(buffer[start..<newline])
                if line.last == 13 { line.removeLast() }
                start = newline + 1
                return line
            }
            if finished {
                guard start < buffer.count else { return nil }
                let line = Array(buffer[start...])
                start = buffer.count
                return line
            }
            buffer.removeFirst(start)
            start = 0
            var chunk = [UInt8](repeating: 0, count: 1 << 20)
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count <= 0 { finished = true } else { buffer += chunk[0..<count] }
        }
    }
}
