#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The standard `process_*` metrics (as every Prometheus client library exports them), read from
/// /proc at scrape time: nothing runs between scrapes. On systems without /proc they are omitted.
struct ProcessMetrics: Sendable {
    private let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
    private let pageSize = Double(sysconf(Int32(_SC_PAGESIZE)))

    func emit(into output: inout [UInt8]) {
        guard let stat = Self.read("/proc/self/stat"),
            // Fields after the command name, which is in parentheses and may contain spaces.
            let end = stat.lastIndex(of: ")")
        else { return }
        let fields = stat[stat.index(after: end)...].split(separator: " ")
        // fields[0] is field 3 of proc(5): utime is field 14, stime 15, starttime 22, rss 24.
        guard fields.count > 21, let user = Double(fields[11]), let system = Double(fields[12]),
            let startTicks = Double(fields[19]), let residentPages = Double(fields[21])
        else { return }
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        let lines = [
            ("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.", (user + system) / ticksPerSecond),
            ("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", residentPages * pageSize),
            ("process_open_fds", "gauge", "Number of open file descriptors.", Double(Self.openFileDescriptors())),
            ("process_max_fds", "gauge", "Maximum number of open file descriptors.", Double(limit.rlim_cur)),
            ("process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.", Self.bootTime + startTicks / ticksPerSecond),
        ]
        for (name, type, help, value) in lines {
            output.append(contentsOf: Array("# HELP \(name) \(help)\n# TYPE \(name) \(type)\n\(name) \(value)\n".utf8))
        }
    }

    private static func read(_ path: String) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = fread(&chunk, 1, chunk.count, file)
            if count <= 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func openFileDescriptors() -> Int {
        guard let directory = opendir("/proc/self/fd") else { return 0 }
        defer { closedir(directory) }
        var count = 0
        while readdir(directory) != nil { count += 1 }
        return max(0, count - 3)  // ".", ".." and the descriptor opendir itself holds
    }

    /// System boot time in seconds since the epoch (`btime` in /proc/stat).
    private static let bootTime: Double = {
        guard let stat = read("/proc/stat") else { return 0 }
        for line in stat.split(separator: "\n") where line.hasPrefix("btime ") {
            return Double(line.dropFirst(6)) ?? 0
        }
        return 0
    }()
}
