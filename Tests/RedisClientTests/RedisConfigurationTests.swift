import RedisClient
import Testing

@Suite("Redis URLs")
struct RedisConfigurationTests {
    @Test func parsesEveryPart() throws {
        let plain = try RedisConfiguration(url: "redis://cache.internal")
        #expect(plain.host == "cache.internal" && plain.port == 6379 && plain.database == 0 && !plain.useTLS)
        #expect(plain.password == nil && plain.username == nil)

        let full = try RedisConfiguration(url: "rediss://app:p%40ss%3Aword@10.0.0.5:6380/3")
        #expect(full.useTLS && full.host == "10.0.0.5" && full.port == 6380 && full.database == 3)
        #expect(full.username == "app" && full.password == "p@ss:word")
        #expect(full.redacted == "rediss://app:***@10.0.0.5:6380/3")

        let passwordOnly = try RedisConfiguration(url: "redis://:secret@host:7000")
        #expect(passwordOnly.username == nil && passwordOnly.password == "secret")

        let ipv6 = try RedisConfiguration(url: "redis://[::1]:6390/1")
        #expect(ipv6.host == "::1" && ipv6.port == 6390 && ipv6.database == 1)
        #expect(ipv6.redacted == "redis://[::1]:6390/1")
    }

    /// IP literals of both families go without a server name, whatever their first character;
    /// host names go with one, also when they start with a digit.
    @Test(arguments: [
        ("redis.internal", "redis.internal"), ("1password-cache.example", "1password-cache.example"),
        ("10.0.0.5", nil), ("::1", nil), ("fd00:ec2::23", nil), ("abcd:ef01::1", nil),
    ] as [(String, String?)])
    func tlsServerNameIsLeftOutForAddresses(_ host: String, _ expected: String?) {
        #expect(RedisConfiguration(host: host, useTLS: true).tlsServerName == expected)
    }

    @Test(arguments: [
        "http://host", "redis://", "redis://host:0", "redis://host:99999", "redis://host:port",
        "redis://host/db", "redis://[::1", "redis://user:%zz@host",
    ])
    func rejectsBadURLs(_ url: String) {
        #expect(throws: RedisError.self) { _ = try RedisConfiguration(url: url) }
    }
}
