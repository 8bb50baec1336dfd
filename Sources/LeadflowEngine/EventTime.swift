/// A point in event time: milliseconds since the Unix epoch, UTC. The engine's only notion of
/// time; it never reads a clock.
public struct EventTime: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var milliseconds: Int64

    public init(milliseconds: Int64) { self.milliseconds = milliseconds }

    public static func < (lhs: EventTime, rhs: EventTime) -> Bool { lhs.milliseconds < rhs.milliseconds }

    public static func + (lhs: EventTime, rhs: EventDuration) -> EventTime { EventTime(milliseconds: lhs.milliseconds + rhs.milliseconds) }
    public static func - (lhs: EventTime, rhs: EventDuration) -> EventTime { EventTime(milliseconds: lhs.milliseconds - rhs.milliseconds) }
    public static func - (lhs: EventTime, rhs: EventTime) -> EventDuration { EventDuration(milliseconds: lhs.milliseconds - rhs.milliseconds) }

    /// RFC 3339 in UTC with millisecond precision when needed, e.g. `2026-11-23T10:15:00Z`.
    public var description: String { RFC3339.format(self) }
}

/// A span of event time in milliseconds.
public struct EventDuration: Hashable, Comparable, Sendable {
    public var milliseconds: Int64

    public init(milliseconds: Int64) { self.milliseconds = milliseconds }
    public static func minutes(_ value: Double) -> EventDuration { EventDuration(milliseconds: Int64(value * 60_000)) }
    public static func hours(_ value: Double) -> EventDuration { EventDuration(milliseconds: Int64(value * 3_600_000)) }
    public static func days(_ value: Double) -> EventDuration { EventDuration(milliseconds: Int64(value * 86_400_000)) }

    public var days: Double { Double(milliseconds) / 86_400_000 }

    public static func < (lhs: EventDuration, rhs: EventDuration) -> Bool { lhs.milliseconds < rhs.milliseconds }
}

/// RFC 3339 timestamps, parsed and formatted without Foundation (and without locale or time zone data).
public enum RFC3339 {
    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`. Returns nil when it is not one.
    public static func parse<Bytes: RandomAccessCollection>(_ text: Bytes) -> EventTime? where Bytes.Element == UInt8, Bytes.Index == Int {
        var index = text.startIndex
        let end = text.endIndex
        func digits(_ count: Int) -> Int? {
            guard end - index >= count else { return nil }
            var value = 0
            for _ in 0..<count {
                let byte = text[index]
                guard byte >= 48 && byte <= 57 else { return nil }
                value = value * 10 + Int(byte - 48)
                index += 1
            }
            return value
        }
        func expect(_ byte: UInt8) -> Bool {
            guard index < end, text[index] == byte else { return false }
            index += 1
            return true
        }
        guard let year = digits(4), expect(45), let month = digits(2), expect(45), let day = digits(2) else { return nil }
        guard index < end, text[index] == 84 || text[index] == 116 || text[index] == 32 else { return nil }
        index += 1
        guard let hour = digits(2), expect(58), let minute = digits(2), expect(58), let second = digits(2) else { return nil }
        guard (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year), hour < 24, minute < 60, second < 61 else {
            return nil
        }
        var millis = 0
        if index < end, text[index] == 46 {
            index += 1
            var scale = 100
            var seen = 0
            while index < end, text[index] >= 48, text[index] <= 57 {
                millis += Int(text[index] - 48) * scale
                scale /= 10
                seen += 1
                index += 1
            }
            guard seen > 0 else { return nil }
        }
        guard index < end else { return nil }
        var offsetMinutes = 0
        switch text[index] {
        case 90, 122:  // Z z
            index += 1
        case 43, 45:  // + -
            let sign = text[index] == 45 ? -1 : 1
            index += 1
            guard let offsetHours = digits(2), expect(58), let offsetMins = digits(2), offsetHours < 24, offsetMins < 60 else { return nil }
            offsetMinutes = sign * (offsetHours * 60 + offsetMins)
        default:
            return nil
        }
        guard index == end else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        // A leap second (:60) counts as :59.
        let seconds = Int64(days) * 86_400 + Int64(hour * 3_600 + minute * 60 + min(second, 59)) - Int64(offsetMinutes * 60)
        return EventTime(milliseconds: seconds * 1_000 + Int64(millis))
    }

    public static func parse(_ text: String) -> EventTime? { parse(Array(text.utf8)) }

    public static func format(_ time: EventTime) -> String {
        let millis = Int(((time.milliseconds % 1_000) + 1_000) % 1_000)
        let totalSeconds = (time.milliseconds - Int64(millis)) / 1_000
        var days = Int(totalSeconds / 86_400)
        var secondsOfDay = Int(totalSeconds % 86_400)
        if secondsOfDay < 0 {
            secondsOfDay += 86_400
            days -= 1
        }
        let (year, month, day) = civilFromDays(days)
        if (0...9_999).contains(year) {
            // Every year a signal carries: the digits are written straight into the string's
            // storage, with no intermediate strings (a decision renders three timestamps).
            return String(unsafeUninitializedCapacity: 24) { buffer in
                var end = 0
                func put(_ value: Int, width: Int, then separator: Unicode.Scalar) {
                    var rest = value
                    for position in stride(from: end + width - 1, through: end, by: -1) {
                        buffer[position] = UInt8(ascii: "0") + UInt8(rest % 10)
                        rest /= 10
                    }
                    buffer[end + width] = UInt8(ascii: separator)
                    end += width + 1
                }
                put(year, width: 4, then: "-")
                put(month, width: 2, then: "-")
                put(day, width: 2, then: "T")
                put(secondsOfDay / 3_600, width: 2, then: ":")
                put(secondsOfDay % 3_600 / 60, width: 2, then: ":")
                put(secondsOfDay % 60, width: 2, then: millis != 0 ? "." : "Z")
                if millis != 0 { put(millis, width: 3, then: "Z") }
                return end
            }
        }
        var text = pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2) + "T"
        text += pad(secondsOfDay / 3_600, 2) + ":" + pad(secondsOfDay % 3_600 / 60, 2) + ":" + pad(secondsOfDay % 60, 2)
        if millis != 0 { text += "." + pad(millis, 3) }
        return text + "Z"
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    private static func isLeap(_ year: Int) -> Bool { (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's civil-date algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func civilFromDays(_ days: Int) -> (Int, Int, Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthPrime = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthPrime + 2) / 5 + 1
        let month = monthPrime < 10 ? monthPrime + 3 : monthPrime - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
