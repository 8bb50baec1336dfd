import CPrefetch

extension Engine {
    /// One message of a batch, with the clock reading and task `process` would be given for it.
    public struct BatchInput {
        enum Bytes {
            case buffer(UnsafeBufferPointer<UInt8>)
            case array([UInt8])
        }

        var bytes: Bytes
        public var clock: EventTime?
        public var task: Int32

        /// Bytes the caller keeps valid until `process(batch:)` returns.
        public init(bytes: UnsafeBufferPointer<UInt8>, clock: EventTime?, task: Int32) {
            self.bytes = .buffer(bytes)
            self.clock = clock
            self.task = task
        }

        public init(bytes: [UInt8], clock: EventTime?, task: Int32) {
            self.bytes = .array(bytes)
            self.clock = clock
            self.task = task
        }

        /// Asks for the first 256 bytes of the message (most events are shorter) to be fetched:
        /// they were written by the consumer's thread, so are usually in another core's cache.
        func prefetchBytes() {
            func prefetch(_ buffer: UnsafeBufferPointer<UInt8>) {
                guard let base = buffer.baseAddress else { return }
                for offset in stride(from: 0, to: min(buffer.count, 256), by: 64) { leadflow_prefetch(base + offset) }
            }
            switch bytes {
            case .buffer(let buffer): prefetch(buffer)
            case .array(let array): array.withUnsafeBufferPointer(prefetch)
            }
        }

        func decode() -> Swift.Result<InputEvent, Rejection> {
            switch bytes {
            case .buffer(let buffer): EventDecoder.decode(buffer)
            case .array(let array): EventDecoder.decode(array)
            }
        }
    }

    /// Events this far ahead are identified before the current one is applied (and decoded a
    /// step before that).
    static let batchLookahead = 4

    /// Decodes and applies `inputs` in order, exactly as `process` on each in turn would (the
    /// same state, results and outputs), and hands each result to `handle` with its index, in
    /// order, before the next input is applied.
    ///
    /// Why a batch: with a million accounts, most events touch an account whose index slot and
    /// state are not in any cache, and the processor waits on those loads one event after
    /// another. Here each event is decoded, and its account identified a step later, a few
    /// events ahead (that reads only the model and the reference data, which a batch does not
    /// change), and the processor is asked to fetch the message's bytes, then the reference
    /// data's slot for its domain, then the account's index slot, its state and its lists, one
    /// after another, while the events before it are applied. The hints change nothing but
    /// timing.
    public mutating func process(batch inputs: [BatchInput], _ handle: (Int, Result) -> Void) {
        let lookahead = Self.batchLookahead
        // Rings of what was worked out ahead, by input index modulo the lookahead. The hashes
        // sit apart from the decoded events so reading one for a hint copies no strings.
        var prepared = [Prepared?](repeating: nil, count: lookahead)
        var hashes = [UInt32?](repeating: nil, count: lookahead)
        // The input identified next, decoded a step ago.
        var decodedAhead: Decoded? = inputs.isEmpty ? nil : decode(inputs[0])
        for step in 0..<(inputs.count + lookahead) {
            if step >= lookahead {
                let index = step - lookahead
                currentTask = inputs[index].task
                switch prepared[index % lookahead].take()! {
                case .decoded(let event, let identified):
                    handle(index, apply(event, clock: inputs[index].clock, identified: identified))
                case .rejected(let rejection):
                    state.counters.rejected += 1
                    handle(index, Result(outcome: .rejected, rejection: rejection))
                }
            }
            // One step apart, each hint finds what the one before asked for arrived (a step is
            // an event's apply, microseconds; a fetch takes about a tenth of one):
            // the index slot asked for a step ago, so ask for the state;
            if step >= 1 && step - 1 < inputs.count, let hash = hashes[(step - 1) % lookahead] {
                state.accounts.prefetchState(hash: hash)
            }
            // the state, so ask for the first lines of what it points to;
            if step >= 2 && step - 2 < inputs.count, let hash = hashes[(step - 2) % lookahead] {
                state.accounts.prefetchContents(hash: hash)
            }
            // those first lines, with the lists' counts, so ask for the rest of the lists. That
            // event is applied next.
            if step >= 3 && step - 3 < inputs.count, let hash = hashes[(step - 3) % lookahead] {
                state.accounts.prefetchListBodies(hash: hash)
            }
            // A lookahead before its decoding, the message's bytes are asked for.
            if step + 1 + lookahead < inputs.count { inputs[step + 1 + lookahead].prefetchBytes() }
            if step < inputs.count {
                // The next input is decoded (asking for its domain's reference slot) before this
                // one, decoded a step ago, is identified.
                let current = decodedAhead.take()!
                if step + 1 < inputs.count { decodedAhead = decode(inputs[step + 1]) }
                let (next, hash) = identify(current)
                prepared[step % lookahead] = next
                hashes[step % lookahead] = hash
                if let hash { state.accounts.prefetchIndex(hash: hash) }
            }
        }
    }

    /// An input decoded and identified ahead of being applied.
    enum Prepared {
        case decoded(InputEvent, identified: Resolution)
        case rejected(Rejection)
    }

    /// An input decoded a step before it is identified, with its first domain's lookup.
    private enum Decoded {
        case event(InputEvent, first: DomainLookup?)
        case rejected(Rejection)
    }

    /// Decodes an input and asks for the reference data's slot for its first domain.
    private func decode(_ input: BatchInput) -> Decoded {
        switch input.decode() {
        case .success(let event):
            let first = firstDomainLookup(event)
            if let first { directory.prefetch(domainHash: first.hash) }
            return .event(event, first: first)
        case .failure(let rejection):
            return .rejected(rejection)
        }
    }

    /// Identifies a decoded input; with the hash of the account id when it has one.
    private func identify(_ decoded: consuming Decoded) -> (Prepared, UInt32?) {
        switch consume decoded {
        case .rejected(let rejection):
            return (.rejected(rejection), nil)
        case .event(let event, let first):
            let resolution = identify(event, first: first)
            guard case .account(var ref) = resolution else { return (.decoded(event, identified: resolution), nil) }
            let hash = AccountIndex.hash(ref.id)
            ref.idHash = hash
            return (.decoded(event, identified: .account(ref)), hash)
        }
    }
}
