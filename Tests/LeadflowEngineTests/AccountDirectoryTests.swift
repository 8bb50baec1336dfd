@testable import LeadflowEngine
import Testing

@Suite("Account directory: the account each domain belongs to")
struct AccountDirectoryTests {
    static func record(_ id: String, _ domains: [String]) -> AccountRecord {
        AccountRecord(
            accountID: id, domains: domains, name: id, industry: "software", employees: 100, annualRevenue: 1e6,
            country: "US", technologies: [])
    }

    @Test("a directory's domains follow its records through upserts and removals")
    func domainsFollowRecords() {
        var directory = AccountDirectory(records: [Self.record("a", ["a.com", "WWW.A2.com."]), Self.record("b", ["b.com"])])
        #expect(directory.accountID(forDomain: "a2.com") == "a")
        directory.upsert(Self.record("a", ["a.com"]))
        #expect(directory.accountID(forDomain: "a2.com") == nil)
        #expect(directory.accountID(forDomain: "a.com") == "a")
        // A domain moved to another record belongs to that record; removing the old one keeps it.
        directory.upsert(Self.record("c", ["a.com"]))
        #expect(directory.accountID(forDomain: "a.com") == "c")
        directory.remove(accountID: "a")
        #expect(directory.accountID(forDomain: "a.com") == "c")
        directory.remove(accountID: "c")
        #expect(directory.accountID(forDomain: "a.com") == nil)
        #expect(directory.accountID(forDomain: "b.com") == "b")
        #expect(directory.count == 1)
    }
}
