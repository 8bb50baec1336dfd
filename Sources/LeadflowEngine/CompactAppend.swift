extension Array {
    /// Appends, growing a full buffer by one element rather than doubling it.
    ///
    /// An account's lists hold a handful of elements each and a million accounts keep theirs for
    /// weeks, so the slack doubling leaves (a quarter of a list on average) is memory held for
    /// nothing; a list grows only when the account sees a new kind of signal, person or topic,
    /// so copying it then costs little.
    mutating func appendCompactly(_ element: Element) {
        if count == capacity { reserveCapacity(count + 1) }
        append(element)
    }
}
