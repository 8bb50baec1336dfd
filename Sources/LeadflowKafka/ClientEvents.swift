import CRdKafka
import Logging
import Synchronization

/// Whether a client currently reaches its brokers, as librdkafka's events tell it.
public enum KafkaConnectivity: Sendable, Hashable {
    /// No event yet.
    case unknown
    /// A broker answered recently.
    case connected
    /// librdkafka reported that every broker is down; it keeps retrying with backoff.
    case allBrokersDown
}

/// The state librdkafka's C callbacks reach through the client's opaque pointer: the logger,
/// connectivity, and the hooks of whichever client owns the handle. One per handle, retained
/// for as long as the handle lives.
final class ClientEvents: Sendable {
    let logger: Logger
    let connectivity = Mutex(KafkaConnectivity.unknown)
    let fatalError = Mutex<KafkaError?>(nil)
    /// Set by the consumer; called on the thread that polls.
    let rebalance = Mutex<RebalanceCallback?>(nil)
    /// Set by the producer; called on its poll thread.
    let delivery = Mutex<DeliveryCallback?>(nil)

    init(logger: Logger) {
        self.logger = logger
    }

    func markConnected() {
        connectivity.withLock { if $0 != .connected { $0 = .connected } }
    }

    /// Installs the C callbacks on `conf` with `self` as their opaque.
    func install(on conf: OpaquePointer) {
        rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(self).toOpaque())
        rd_kafka_conf_set_log_cb(conf) { rk, level, facility, message in
            guard let rk, let opaque = rd_kafka_opaque(rk) else { return }
            let events = Unmanaged<ClientEvents>.fromOpaque(opaque).takeUnretainedValue()
            let text = message.map { String(cString: $0) } ?? ""
            let facilityText = facility.map { String(cString: $0) } ?? ""
            events.logger.log(
                level: ClientEvents.logLevel(syslog: level), "\(text)",
                metadata: ["librdkafka.facility": "\(facilityText)", "librdkafka.client": "\(String(cString: rd_kafka_name(rk)))"])
        }
        rd_kafka_conf_set_error_cb(conf) { rk, code, reason, opaque in
            guard let opaque else { return }
            let events = Unmanaged<ClientEvents>.fromOpaque(opaque).takeUnretainedValue()
            let err = rd_kafka_resp_err_t(rawValue: code)
            let text = reason.map { String(cString: $0) } ?? ""
            if err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN {
                events.connectivity.withLock { $0 = .allBrokersDown }
            }
            if err == RD_KAFKA_RESP_ERR__FATAL, let rk {
                var buffer = [CChar](repeating: 0, count: 512)
                let underlying = rd_kafka_fatal_error(rk, &buffer, buffer.count)
                let fatal = KafkaError(
                    code: .librdkafka,
                    message: "fatal client error: " + String(cChars: buffer),
                    librdkafkaCode: underlying.rawValue, isFatal: true)
                events.fatalError.withLock { $0 = fatal }
                events.logger.critical("\(fatal.description)")
                return
            }
            events.logger.warning(
                "librdkafka error: \(text)",
                metadata: [
                    "librdkafka.code": "\(KafkaError.name(of: code))",
                    // Which of the process's clients (`client.id#kind-n`): a daemon runs several.
                    "librdkafka.client": "\(rk.map { String(cString: rd_kafka_name($0)) } ?? "")",
                ])
        }
    }

    /// Installs the rebalance callback (consumers only).
    func installRebalance(on conf: OpaquePointer) {
        rd_kafka_conf_set_rebalance_cb(conf) { rk, err, partitions, opaque in
            guard let rk, let partitions, let opaque else { return }
            let events = Unmanaged<ClientEvents>.fromOpaque(opaque).takeUnretainedValue()
            if let hook = events.rebalance.withLock({ $0 }) {
                hook.call(rk, err, partitions)
            } else if err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS {
                _ = rd_kafka_assign(rk, partitions)
            } else {
                _ = rd_kafka_assign(rk, nil)
            }
        }
    }

    /// Installs the delivery-report callback (producers only).
    func installDeliveryReports(on conf: OpaquePointer) {
        rd_kafka_conf_set_dr_msg_cb(conf) { _, message, opaque in
            guard let message, let opaque else { return }
            let events = Unmanaged<ClientEvents>.fromOpaque(opaque).takeUnretainedValue()
            events.delivery.withLock { $0 }?.call(message)
        }
    }

    /// librdkafka logs with syslog levels.
    static func logLevel(syslog level: Int32) -> Logger.Level {
        switch level {
        case ...2: .critical
        case 3: .error
        case 4: .warning
        case 5: .notice
        case 6: .info
        default: .debug
        }
    }
}

// Callbacks are kept in classes: a closure stored directly in a generic Mutex is re-wrapped in
// reabstraction thunks on every inout access, and the chain grows with each call.

/// The consumer's rebalance handler.
final class RebalanceCallback: Sendable {
    let call: @Sendable (OpaquePointer, rd_kafka_resp_err_t, UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) -> Void
    init(_ call: @escaping @Sendable (OpaquePointer, rd_kafka_resp_err_t, UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) -> Void) {
        self.call = call
    }
}

/// The producer's delivery-report handler.
final class DeliveryCallback: Sendable {
    let call: @Sendable (UnsafePointer<rd_kafka_message_t>) -> Void
    init(_ call: @escaping @Sendable (UnsafePointer<rd_kafka_message_t>) -> Void) { self.call = call }
}
