import Foundation
import PipelineCore

#if canImport(Glibc)
    @preconcurrency import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Thin wrappers over the POSIX calls the store needs, turning failures into `PipelineError`.
enum Posix {
    static func errorText(_ code: Int32 = errno) -> String { String(cString: strerror(code)) }

    static func open(_ path: String, _ flags: Int32, mode: mode_t = 0o600) throws -> Int32 {
        let fd = Glibc.open(path, flags | O_CLOEXEC, mode)
        guard fd >= 0 else { throw PipelineError(.io, "cannot open \(path): \(errorText())") }
        return fd
    }

    static func writeAll(_ fd: Int32, _ data: Data, path: String) throws {
        try data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw PipelineError(.io, "cannot write \(path): \(errorText())")
                }
                offset += n
            }
        }
    }

    static func pwriteAll(_ fd: Int32, _ data: Data, at position: Int, path: String) throws {
        try data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.pwrite(fd, raw.baseAddress! + offset, raw.count - offset, off_t(position + offset))
                if n < 0 {
                    if errno == EINTR { continue }
                    throw PipelineError(.io, "cannot write \(path): \(errorText())")
                }
                offset += n
            }
        }
    }

    static func pread(_ fd: Int32, count: Int, at position: Int) -> Data {
        var data = Data(count: count)
        let n = data.withUnsafeMutableBytes { raw in Glibc.pread(fd, raw.baseAddress!, count, off_t(position)) }
        return n > 0 ? data.prefix(n) : Data()
    }

    static func fileSize(_ fd: Int32) -> Int {
        var st = stat()
        return fstat(fd, &st) == 0 ? Int(st.st_size) : 0
    }

    /// Writes a file atomically: a temporary file, fsync, rename over the target, fsync the folder.
    static func writeAtomically(_ data: Data, to path: String) throws {
        let tmp = "\(path).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = try open(tmp, O_WRONLY | O_CREAT | O_TRUNC)
        do {
            try writeAll(fd, data, path: tmp)
            guard fsync(fd) == 0 else { throw PipelineError(.io, "cannot sync \(tmp): \(errorText())") }
            close(fd)
        } catch {
            close(fd)
            unlink(tmp)
            throw error
        }
        guard rename(tmp, path) == 0 else {
            let message = errorText()
            unlink(tmp)
            throw PipelineError(.io, "cannot replace \(path): \(message)")
        }
        syncDirectory((path as NSString).deletingLastPathComponent)
    }

    static func syncDirectory(_ path: String) {
        let fd = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
    }

    /// Creates a folder and its parents with the given mode.
    static func makeDirectory(_ path: String, mode: mode_t = 0o700) throws {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir) {
            guard isDir.boolValue else { throw PipelineError(.io, "\(path) exists and is not a folder") }
            return
        }
        do {
            try FileManager.default.createDirectory(
                atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: Int(mode)])
        } catch {
            throw PipelineError(.io, "cannot create folder \(path): \(error.localizedDescription)")
        }
    }
}
