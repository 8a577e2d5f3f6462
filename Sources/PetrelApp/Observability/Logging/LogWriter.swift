import Dispatch
import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Buffers log lines and writes them to a file descriptor from one background queue, so a request
/// never waits on a `write(2)` to stdout. Lines are flushed within `flushDelay`, at once when the
/// buffer passes `flushThreshold`, and synchronously by `flush()` before the process exits.
/// When the descriptor stops draining, lines beyond `maximumBuffered` are dropped and counted,
/// and the count is reported in the next line that gets through: logging never blocks serving.
public final class LogWriter: Sendable {
    public static let standardOutput = LogWriter(fileDescriptor: 1)

    private struct State {
        var buffer: [UInt8] = []
        /// The buffer written by the last flush, emptied with its capacity kept: the two take
        /// turns, so a busy process does not allocate (and fault in) a fresh buffer per flush.
        var spare: [UInt8] = []
        var flushScheduled = false
        /// A flush is queued to run at once: later lines wait for it instead of queuing one each.
        var immediateFlushQueued = false
        var dropped = 0
    }

    private let fileDescriptor: Int32
    private let state = NIOLockedValueBox(State())
    /// Serialises writes, so lines from concurrent flushes never interleave.
    private let writeLock = NIOLock()
    private let queue = DispatchQueue(label: "petrel.log-writer")
    private let flushDelay = DispatchTimeInterval.milliseconds(5)
    private let flushThreshold = 64 * 1024
    private let maximumBuffered = 8 * 1024 * 1024

    public init(fileDescriptor: Int32) {
        self.fileDescriptor = fileDescriptor
    }

    /// Appends one line (the caller includes the trailing newline); `format` is the line's, for
    /// the drop notice that may have to go before it.
    func append(_ line: [UInt8], format: LogFormat) {
        let schedule: DispatchTimeInterval? = state.withLockedValue { state in
            if state.buffer.count + line.count > maximumBuffered {
                state.dropped += 1
                return nil
            }
            if state.dropped > 0 {
                Self.appendDropNotice(dropped: state.dropped, format: format, to: &state.buffer)
                state.dropped = 0
            }
            state.buffer.append(contentsOf: line)
            if state.buffer.count >= flushThreshold {
                guard !state.immediateFlushQueued else { return nil }
                state.immediateFlushQueued = true
                state.flushScheduled = true
                return .never
            }
            guard !state.flushScheduled else { return nil }
            state.flushScheduled = true
            return flushDelay
        }
        switch schedule {
        case .none: break
        case .some(.never): queue.async { self.flush() }
        case .some(let delay): queue.asyncAfter(deadline: .now() + delay) { self.flush() }
        }
    }

    private static func appendDropNotice(dropped: Int, format: LogFormat, to buffer: inout [UInt8]) {
        let notice = LogLine.render(
            format: format, level: .warning, message: "log lines dropped: output not draining",
            fields: [.init(key: "dropped", value: .stringConvertible(dropped))])
        buffer.append(contentsOf: notice)
    }

    /// Writes everything buffered so far; call before the process exits.
    public func flush() {
        writeLock.withLock {
            var pending = state.withLockedValue { state -> [UInt8] in
                state.flushScheduled = false
                state.immediateFlushQueued = false
                let pending = state.buffer
                state.buffer = state.spare
                state.spare = []
                return pending
            }
            defer {
                // A buffer that grew while output was stalled is let go rather than kept.
                pending.removeAll(keepingCapacity: pending.capacity <= 4 * flushThreshold)
                state.withLockedValue { $0.spare = pending }
            }
            pending.withUnsafeBytes { bytes in
                var offset = 0
                while offset < bytes.count {
                    let written = write(fileDescriptor, bytes.baseAddress! + offset, bytes.count - offset)
                    if written > 0 {
                        offset += written
                    } else if written < 0, errno == EINTR {
                        continue
                    } else if written < 0, errno == EAGAIN {
                        var ready = pollfd(fd: fileDescriptor, events: Int16(POLLOUT), revents: 0)
                        _ = poll(&ready, 1, 100)
                    } else {
                        return  // stdout closed: nothing sensible left to do with the lines
                    }
                }
            }
        }
    }
}
