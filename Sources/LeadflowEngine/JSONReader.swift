/// A strict, single-pass JSON reader over bytes for the event decoder: it validates the whole
/// document (RFC 8259) while handing out only the top-level members, without building
/// intermediate dictionaries or strings the decoder does not keep.
struct JSONReader {
    /// A JSON value found in the document; strings and arrays refer back to the bytes.
    enum Value {
        case string(Range<Int>, escaped: Bool)
        case number(Double, isInteger: Bool)
        case bool(Bool)
        case null
        case array(Range<Int>)
        case object(Range<Int>)

        /// The JSON type name, for rejection messages.
        var typeName: String {
            switch self {
            case .string: "string"
            case .number(_, let isInteger): isInteger ? "integer" : "number"
            case .bool: "boolean"
            case .null: "null"
            case .array: "array"
            case .object: "object"
            }
        }
    }

    struct Member {
        var key: Range<Int>
        var keyEscaped: Bool
        var value: Value
    }

    struct Failure: Error {
        var offset: Int
        var message: String
    }

    let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0
    private let maxDepth = 32

    init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    /// Reads a document that must be one object, handing each member to `visit` in document
    /// order. The whole document is read (and its syntax checked) before this returns.
    mutating func readObject(_ visit: (Member) -> Void) throws(Failure) {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "{") else {
            throw Failure(offset: index, message: index < bytes.count ? "the document is not an object" : "empty input")
        }
        index += 1
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            index += 1
        } else {
            while true {
                skipWhitespace()
                guard peek() == UInt8(ascii: "\"") else { throw Failure(offset: index, message: "expected a member name") }
                let (key, escaped) = try readString()
                skipWhitespace()
                guard peek() == UInt8(ascii: ":") else { throw Failure(offset: index, message: "expected ':'") }
                index += 1
                let value = try readValue(depth: 1)
                visit(Member(key: key, keyEscaped: escaped, value: value))
                skipWhitespace()
                guard let next = peek() else { throw Failure(offset: index, message: "unterminated object") }
                index += 1
                if next == UInt8(ascii: "}") { break }
                guard next == UInt8(ascii: ",") else { throw Failure(offset: index - 1, message: "expected ',' or '}'") }
            }
        }
        skipWhitespace()
        guard index == bytes.count else { throw Failure(offset: index, message: "unexpected data after the object") }
    }

    /// The values of an array found earlier by this reader (already validated).
    func elements(of range: Range<Int>) -> [Value] {
        var reader = JSONReader(UnsafeBufferPointer(rebasing: bytes[range]))
        reader.index = 1
        var values: [Value] = []
        reader.skipWhitespace()
        if reader.peek() == UInt8(ascii: "]") { return values }
        while let value = try? reader.readValue(depth: 1) {
            values.append(value.shifted(by: range.lowerBound))
            reader.skipWhitespace()
            guard reader.peek() == UInt8(ascii: ",") else { break }
            reader.index += 1
        }
        return values
    }

    /// Decodes a string value's bytes (resolving escapes) into a Swift string.
    func string(_ range: Range<Int>, escaped: Bool) -> String {
        if !escaped { return String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self) }
        var out: [UInt8] = []
        out.reserveCapacity(range.count)
        var position = range.lowerBound
        while position < range.upperBound {
            let byte = bytes[position]
            guard byte == UInt8(ascii: "\\") else {
                out.append(byte)
                position += 1
                continue
            }
            let kind = bytes[position + 1]
            position += 2
            switch kind {
            case UInt8(ascii: "n"): out.append(10)
            case UInt8(ascii: "t"): out.append(9)
            case UInt8(ascii: "r"): out.append(13)
            case UInt8(ascii: "b"): out.append(8)
            case UInt8(ascii: "f"): out.append(12)
            case UInt8(ascii: "u"):
                var scalar = hex4(at: position)
                position += 4
                if (0xD800..<0xDC00).contains(scalar), position + 6 <= range.upperBound, bytes[position] == UInt8(ascii: "\\"),
                    bytes[position + 1] == UInt8(ascii: "u")
                {
                    let low = hex4(at: position + 2)
                    if (0xDC00..<0xE000).contains(low) {
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        position += 6
                    }
                }
                let character = Unicode.Scalar(scalar) ?? "\u{FFFD}"
                out.append(contentsOf: Array(String(Character(character)).utf8))
            default: out.append(kind)  // \" \\ \/
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The known field a member name is (names with escapes never match a plain schema name).
    func fieldName(_ member: Member) -> FieldName? {
        member.keyEscaped ? nil : FieldName.named(UnsafeBufferPointer(rebasing: bytes[member.key]), readable: bytes.count - member.key.lowerBound)
    }

    func keyHasPrefix(_ member: Member, _ prefix: StaticString) -> Bool {
        UnsafeBufferPointer(rebasing: bytes[member.key]).hasPrefix(prefix)
    }

    // MARK: Reading

    private func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    private mutating func readValue(depth: Int) throws(Failure) -> Value {
        skipWhitespace()
        guard let byte = peek() else { throw Failure(offset: index, message: "expected a value") }
        switch byte {
        case UInt8(ascii: "\""):
            let (range, escaped) = try readString()
            return .string(range, escaped: escaped)
        case UInt8(ascii: "{"):
            let start = index
            try skipContainer(close: UInt8(ascii: "}"), depth: depth, isObject: true)
            return .object(start..<index)
        case UInt8(ascii: "["):
            let start = index
            try skipContainer(close: UInt8(ascii: "]"), depth: depth, isObject: false)
            return .array(start..<index)
        case UInt8(ascii: "t"):
            try literal("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try literal("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try literal("null")
            return .null
        default:
            return try readNumber()
        }
    }

    private mutating func literal(_ word: StaticString) throws(Failure) {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw Failure(offset: index, message: "invalid literal") }
        for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] {
            throw Failure(offset: index, message: "invalid literal")
        }
        index += count
    }

    /// Reads a string starting at the opening quote; returns the range inside the quotes.
    private mutating func readString() throws(Failure) -> (Range<Int>, Bool) {
        index += 1
        let start = index
        var escaped = false
        // A string without a byte over 0x7F is ASCII and needs no UTF-8 check, which saves a
        // second pass over nearly every string. Escapes are ASCII, so the raw bytes of a string
        // with escapes are checked the same way.
        var isASCII = true
        let count = bytes.count
        guard let base = bytes.baseAddress else { throw Failure(offset: start - 1, message: "unterminated string") }
        while true {
            // Eight bytes at a time, straight to the first that ends the string, starts an
            // escape, is a control character or is over 0x7F: most strings (and every member
            // name) end within the first word, so finding the quote in it, rather than only
            // that it holds one, spares a byte-by-byte walk over the rest.
            while index + 8 <= count {
                let mask = Self.specialBytes(UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self))
                if mask != 0 {
                    index += mask.trailingZeroBitCount >> 3
                    break
                }
                index += 8
            }
            guard index < count else { break }
            let byte = base[index]
            if byte == UInt8(ascii: "\"") {
                let range = start..<index
                index += 1
                if !isASCII, !isValidUTF8(range) { throw Failure(offset: start, message: "invalid UTF-8 in string") }
                return (range, escaped)
            }
            if byte >= 0x80 {
                isASCII = false
            } else if byte < 0x20 {
                throw Failure(offset: index, message: "control character in string")
            } else if byte == UInt8(ascii: "\\") {
                escaped = true
                guard index + 1 < count else { break }
                switch base[index + 1] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                    UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    index += 2
                case UInt8(ascii: "u"):
                    guard index + 6 <= count, (2..<6).allSatisfy({ isHex(base[index + $0]) }) else {
                        throw Failure(offset: index, message: "invalid \\u escape")
                    }
                    index += 6
                default:
                    throw Failure(offset: index, message: "invalid escape")
                }
                continue
            }
            // A byte over 0x7F, or a plain one in the last few bytes, where no whole word is left.
            index += 1
        }
        throw Failure(offset: start - 1, message: "unterminated string")
    }

    /// The top bit of each of eight bytes that is a quote, a backslash, below 0x20 or above
    /// 0x7F, by the usual carry tricks (a byte below n makes `x - n` borrow into its top bit).
    /// A borrow only runs upwards from a flagged byte, so the lowest bit set is always exact:
    /// it marks the first such byte (bytes above it may be flagged falsely).
    @inline(__always)
    static func specialBytes(_ word: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let tops: UInt64 = 0x8080_8080_8080_8080
        let quotes = word ^ (ones &* 0x22)
        let backslashes = word ^ (ones &* 0x5C)
        let zeroQuote = (quotes &- ones) & ~quotes
        let zeroBackslash = (backslashes &- ones) & ~backslashes
        let control = (word &- ones &* 0x20) & ~word
        return (word | zeroQuote | zeroBackslash | control) & tops
    }

    /// Whether any of eight bytes is one `specialBytes` flags.
    static func needsCheck(_ word: UInt64) -> Bool { specialBytes(word) != 0 }

    private func isValidUTF8(_ range: Range<Int>) -> Bool {
        var iterator = UnsafeBufferPointer(rebasing: bytes[range]).makeIterator()
        var decoder = UTF8()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue: continue
            case .emptyInput: return true
            case .error: return false
            }
        }
    }

    private mutating func readNumber() throws(Failure) -> Value {
        let start = index
        var isInteger = true
        if peek() == UInt8(ascii: "-") { index += 1 }
        guard let first = peek(), isDigit(first) else { throw Failure(offset: start, message: "invalid value") }
        var integer: Int64 = 0
        var integerDigits = 0
        if first == UInt8(ascii: "0") {
            index += 1
        } else {
            while let byte = peek(), isDigit(byte) {
                if integerDigits < 18 { integer = integer * 10 + Int64(byte - 48) }
                integerDigits += 1
                index += 1
            }
        }
        if peek() == UInt8(ascii: ".") {
            isInteger = false
            index += 1
            guard let byte = peek(), isDigit(byte) else { throw Failure(offset: index, message: "invalid number") }
            while let byte = peek(), isDigit(byte) { index += 1 }
        }
        if let byte = peek(), byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
            isInteger = false
            index += 1
            if let sign = peek(), sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { index += 1 }
            guard let byte = peek(), isDigit(byte) else { throw Failure(offset: index, message: "invalid number") }
            while let byte = peek(), isDigit(byte) { index += 1 }
        }
        let negative = bytes[start] == UInt8(ascii: "-")
        if isInteger && integerDigits <= 18 {
            return .number(Double(negative ? -integer : integer), isInteger: true)
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        guard let value = Double(text), value.isFinite else { throw Failure(offset: start, message: "number out of range") }
        return .number(value, isInteger: isInteger)
    }

    private mutating func skipContainer(close: UInt8, depth: Int, isObject: Bool) throws(Failure) {
        guard depth < maxDepth else { throw Failure(offset: index, message: "nested too deeply") }
        index += 1
        skipWhitespace()
        if peek() == close {
            index += 1
            return
        }
        while true {
            skipWhitespace()
            if isObject {
                guard peek() == UInt8(ascii: "\"") else { throw Failure(offset: index, message: "expected a member name") }
                _ = try readString()
                skipWhitespace()
                guard peek() == UInt8(ascii: ":") else { throw Failure(offset: index, message: "expected ':'") }
                index += 1
            }
            _ = try readValue(depth: depth + 1)
            skipWhitespace()
            guard let next = peek() else { throw Failure(offset: index, message: "unterminated container") }
            index += 1
            if next == close { return }
            guard next == UInt8(ascii: ",") else { throw Failure(offset: index - 1, message: "expected ',' or a closing bracket") }
        }
    }

    private func hex4(at position: Int) -> UInt32 {
        var value: UInt32 = 0
        for offset in 0..<4 {
            let byte = bytes[position + offset]
            let digit: UInt8 =
                switch byte {
                case 48...57: byte - 48
                case 65...70: byte - 55
                default: byte - 87
                }
            value = value << 4 | UInt32(digit)
        }
        return value
    }
}

private func isDigit(_ byte: UInt8) -> Bool { byte >= 48 && byte <= 57 }
private func isHex(_ byte: UInt8) -> Bool { isDigit(byte) || (65...70).contains(byte) || (97...102).contains(byte) }

extension JSONReader.Value {
    fileprivate func shifted(by offset: Int) -> JSONReader.Value {
        switch self {
        case .string(let range, let escaped): .string((range.lowerBound + offset)..<(range.upperBound + offset), escaped: escaped)
        case .array(let range): .array((range.lowerBound + offset)..<(range.upperBound + offset))
        case .object(let range): .object((range.lowerBound + offset)..<(range.upperBound + offset))
        default: self
        }
    }
}

extension UnsafeBufferPointer<UInt8> {
    /// Whether these bytes start with `prefix`'s UTF-8 bytes.
    func hasPrefix(_ prefix: StaticString) -> Bool {
        guard count >= prefix.utf8CodeUnitCount else { return false }
        for offset in 0..<prefix.utf8CodeUnitCount where self[offset] != prefix.utf8Start[offset] { return false }
        return true
    }
}
