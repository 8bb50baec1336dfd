import Synchronization

/// A signal's name ("page:pricing", "form:demo_request", "intent:crm") as a 32-bit number, the
/// same for the same name everywhere in the process.
///
/// Every signal tally held its name as a 16-byte `String`, and a million accounts hold a few
/// million tallies whose names come from a small set: the model's page categories and form
/// types, and the intent topics seen. Numbered, a tally takes 48 bytes instead of 64, and finding
/// an account's tally for a signal compares numbers, not strings. The numbers never leave the
/// process (snapshots and outputs carry the names), so they need not agree between runs.
///
/// Names are never forgotten: the set grows by one entry per new name (an intent topic or form
/// type not seen before), not per account or event.
public struct SignalID: Hashable, Sendable, CustomStringConvertible {
    let raw: UInt32

    /// The number for `name`, given on first use.
    public init(_ name: String) {
        raw = Self.registry.withLock { $0.number(for: name) }
    }

    public var name: String { Self.registry.withLock { $0.names[Int(raw)] } }

    public var description: String { name }

    /// Every name so far, by number. The array is copied on write, so this costs a reference,
    /// and a snapshot encoder reads names from it without taking the lock once per tally.
    static func allNames() -> [String] { registry.withLock { $0.names } }

    private struct Registry {
        var names: [String] = []
        var numbers: [String: UInt32] = [:]

        mutating func number(for name: String) -> UInt32 {
            if let known = numbers[name] { return known }
            precondition(names.count < Int(UInt32.max), "more than 4 billion distinct signal names")
            let number = UInt32(names.count)
            names.append(name)
            numbers[name] = number
            return number
        }
    }

    private static let registry = Mutex(Registry())
}
