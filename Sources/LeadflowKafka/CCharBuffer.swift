extension String {
    /// Text from a NUL-terminated buffer librdkafka wrote an error or name into.
    init(cChars buffer: [CChar]) {
        self.init(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
