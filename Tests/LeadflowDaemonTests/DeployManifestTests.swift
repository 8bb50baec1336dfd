import Foundation
import LeadflowConfig
import Testing
import Yams

/// What can be checked of deploy/ without a cluster: every file parses, the manifests carry
/// their required fields and agree with each other, the configs they ship are valid Leadflow
/// configs, and the systemd unit passes `systemd-analyze verify`.
@Suite("deploy/ manifests")
struct DeployManifestTests {
    static let deploy = DaemonHarness.repository.appendingPathComponent("deploy")

    static func text(_ path: String) throws -> String { try String(contentsOf: deploy.appendingPathComponent(path), encoding: .utf8) }
    static func yaml(_ path: String) throws -> [String: Any] {
        try #require(try Yams.load(yaml: text(path)) as? [String: Any], "\(path) is not a YAML mapping")
    }

    /// A value at a dotted path (`spec.template.metadata.labels`), through mappings only.
    static func value(_ object: Any?, _ path: String) -> Any? {
        path.split(separator: ".").reduce(object) { current, key in (current as? [String: Any])?[String(key)] }
    }

    @Test("Kubernetes manifests: required fields, and names, labels, ports and mounts that agree")
    func kubernetes() throws {
        let kustomization = try Self.yaml("kubernetes/kustomization.yaml")
        let files = try #require(kustomization["resources"] as? [String])
        var byKind: [String: [String: Any]] = [:]
        for file in files {
            let manifest = try Self.yaml("kubernetes/" + file)
            let kind = try #require(manifest["kind"] as? String, "\(file): kind")
            #expect(manifest["apiVersion"] is String, "\(file): apiVersion")
            #expect(Self.value(manifest, "metadata.name") is String, "\(file): metadata.name")
            byKind[kind] = manifest
        }
        #expect(Set(byKind.keys) == ["ConfigMap", "Secret", "StatefulSet", "Service", "PodDisruptionBudget"])
        let set = try #require(byKind["StatefulSet"])
        let labels = try #require(Self.value(set, "spec.template.metadata.labels") as? [String: String])
        #expect(Self.value(set, "spec.selector.matchLabels") as? [String: String] == labels)
        #expect(Self.value(byKind["PodDisruptionBudget"], "spec.selector.matchLabels") as? [String: String] == labels)
        #expect(Self.value(byKind["Service"], "spec.selector") as? [String: String] == labels)
        #expect(Self.value(set, "spec.serviceName") as? String == Self.value(byKind["Service"], "metadata.name") as? String)

        let container = try #require((Self.value(set, "spec.template.spec.containers") as? [[String: Any]])?.first)
        #expect((container["image"] as? String)?.isEmpty == false)
        let ports = try #require(container["ports"] as? [[String: Any]])
        #expect(ports.contains { $0["name"] as? String == "admin" && $0["containerPort"] as? Int == 9464 })
        #expect(Self.value(container, "livenessProbe.httpGet.path") as? String == "/healthz")
        #expect(Self.value(container, "readinessProbe.httpGet.path") as? String == "/readyz")
        #expect(Self.value(container, "livenessProbe.httpGet.port") as? String == "admin")
        #expect(Self.value(set, "spec.template.spec.securityContext.runAsNonRoot") as? Bool == true)
        #expect(Self.value(set, "spec.template.spec.securityContext.runAsUser") as? Int == 10001)

        // Mounts: the config volume is the ConfigMap, the state volume the claim template.
        let mounts = try #require(container["volumeMounts"] as? [[String: Any]])
        let claim = try #require((Self.value(set, "spec.volumeClaimTemplates") as? [[String: Any]])?.first)
        let stateMount = try #require(mounts.first { $0["name"] as? String == Self.value(claim, "metadata.name") as? String })
        let volumes = try #require(Self.value(set, "spec.template.spec.volumes") as? [[String: Any]])
        #expect(Self.value(volumes.first, "configMap.name") as? String == Self.value(byKind["ConfigMap"], "metadata.name") as? String)
        let configMount = try #require(mounts.first { $0["name"] as? String == volumes.first?["name"] as? String })
        let args = try #require(container["args"] as? [String])
        #expect(args.last == (configMount["mountPath"] as? String ?? "") + "/leadflow.yaml")
        let secretName = Self.value((container["envFrom"] as? [[String: Any]])?.first, "secretRef.name") as? String
        #expect(secretName == Self.value(byKind["Secret"], "metadata.name") as? String)

        // The shipped config is valid, resolves its secrets from the Secret's keys, listens where
        // the probes look and snapshots onto the persistent volume.
        let configText = try #require((Self.value(byKind["ConfigMap"], "data") as? [String: Any])?["leadflow.yaml"] as? String)
        let configuration = try LeadflowConfiguration.parse(configText, file: "configmap leadflow.yaml")
        let secrets = try #require(Self.value(byKind["Secret"], "stringData") as? [String: String])
        var environment = secrets
        environment["POD_NAME"] = "leadflow-0"
        let properties = try configuration.kafka.resolvedProperties(environment: environment)
        #expect(properties["sasl.password"] == secrets["LEADFLOW_KAFKA_SASL_PASSWORD"])
        #expect(properties["group.instance.id"] == "leadflow-0")
        #expect(try configuration.admin.resolvedToken(environment: environment) == secrets["LEADFLOW_ADMIN_TOKEN"])
        #expect(configuration.admin.hostAndPort?.host == "0.0.0.0" && configuration.admin.hostAndPort?.port == 9464)
        #expect(configuration.snapshots.directory.hasPrefix((stateMount["mountPath"] as? String ?? "?") + "/"))
        #expect(configuration.accountsFile?.hasPrefix((configMount["mountPath"] as? String ?? "?") + "/") == true)
    }

    @Test("docker-compose: Kafka in KRaft mode, topic creation matching the config, Leadflow with a valid config")
    func compose() throws {
        let compose = try Self.yaml("docker-compose.yml")
        let services = try #require(compose["services"] as? [String: Any])
        #expect(Set(services.keys) == ["kafka", "topics", "leadflow"])
        #expect((Self.value(services["kafka"], "environment.KAFKA_PROCESS_ROLES") as? String)?.contains("controller") == true)
        let leadflow = try #require(services["leadflow"] as? [String: Any])
        #expect(Self.value(leadflow, "build.dockerfile") as? String == "deploy/Dockerfile")
        let volumes = try #require(leadflow["volumes"] as? [String])
        let configVolume = try #require(volumes.first { $0.hasSuffix(":/etc/leadflow/leadflow.yaml:ro") })
        let configPath = String(configVolume.split(separator: ":")[0].dropFirst(2))
        let configuration = try LeadflowConfiguration.parse(try Self.text(configPath), file: configPath)
        #expect(configuration.kafka.brokers == ["kafka:9092"])
        let script = try #require((Self.value(services["topics"], "command") as? [String])?.first)
        for topic in configuration.topics.inputs + [configuration.topics.routingDecisions, configuration.topics.surgeTriggers, configuration.topics.deadLetters] {
            #expect(script.contains(topic), "the topics service does not create \(topic)")
        }
        for volume in volumes where volume.hasPrefix("./") {
            let file = String(volume.split(separator: ":")[0].dropFirst(2))
            #expect(FileManager.default.fileExists(atPath: Self.deploy.appendingPathComponent(file).path), "\(file) is mounted but missing")
        }
    }

    @Test("Dockerfile: multi-stage, non-root, librdkafka1 at runtime, the admin port and config path the manifests use")
    func dockerfile() throws {
        let text = try Self.text("Dockerfile")
        let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(lines.filter { $0.hasPrefix("FROM ") }.count == 2)
        #expect(lines.contains { $0.hasPrefix("USER ") && !$0.hasPrefix("USER root") && !$0.hasPrefix("USER 0") })
        #expect(text.contains("librdkafka1"))
        #expect(lines.contains("EXPOSE 9464"))
        #expect(text.contains(#"CMD ["run", "--config", "/etc/leadflow/leadflow.yaml"]"#))
    }

    @Test("the example config is valid")
    func exampleConfig() throws {
        let configuration = try LeadflowConfiguration.load(path: Self.deploy.appendingPathComponent("leadflow.example.yaml").path)
        #expect(!configuration.kafka.brokers.isEmpty)
    }

    @Test("the systemd unit passes systemd-analyze verify", .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze")))
    func systemdUnit() throws {
        // verify insists the binary exists: check a copy pointing at the one just built.
        let binary = CrashRecoveryTests.binary
        #expect(FileManager.default.isExecutableFile(atPath: binary))
        let unit = try Self.text("systemd/leadflow.service").replacingOccurrences(of: "/usr/local/bin/leadflow", with: binary)
        #expect(unit.contains("ExecReload=/bin/kill -HUP $MAINPID"))
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("leadflow-unit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("leadflow.service").path
        try unit.write(toFile: path, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/systemd-analyze")
        process.arguments = ["verify", path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        process.waitUntilExit()
        let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 0, "systemd-analyze verify: \(printed)")
    }
}
