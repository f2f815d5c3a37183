import Foundation

#if canImport(Glibc)
    @preconcurrency import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An open file holding an exclusive OS lock (`flock`), released when this value goes away or the
/// process dies (the kernel drops it). The one file-lock implementation: the run store's target locks
/// and the local agent's locks use it.
public final class FileLock: Sendable {
    /// The open file.
    public let fd: Int32
    /// Its path.
    public let path: String

    private init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    private static func open(_ path: String) throws -> Int32 {
        let fd = Foundation.open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw PipelineError(.io, "cannot open \(path): \(String(cString: strerror(errno)))") }
        return fd
    }

    /// Takes the lock without waiting; nil when another process holds it.
    public static func tryLock(_ path: String) throws -> FileLock? {
        let fd = try open(path)
        if flock(fd, LOCK_EX | LOCK_NB) == 0 { return FileLock(fd: fd, path: path) }
        let code = errno
        close(fd)
        if code == EWOULDBLOCK { return nil }
        throw PipelineError(.io, "cannot lock \(path): \(String(cString: strerror(code)))")
    }

    /// Takes the lock, waiting as long as needed (blocks the calling thread).
    public static func lock(_ path: String) throws -> FileLock {
        let fd = try open(path)
        while flock(fd, LOCK_EX) != 0 {
            if errno == EINTR { continue }
            let message = String(cString: strerror(errno))
            close(fd)
            throw PipelineError(.io, "cannot lock \(path): \(message)")
        }
        return FileLock(fd: fd, path: path)
    }

    /// Whether some process holds the lock at `path` now (a missing file is not held).
    public static func isHeld(_ path: String) -> Bool {
        guard FileManager.default.fileExists(atPath: path) else { return false }
        guard let lock = try? tryLock(path) else { return true }
        _ = lock
        return false
    }

    deinit {
        flock(fd, LOCK_UN)
        close(fd)
    }
}
