import Foundation
import PipelineCore

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// Wakes the watch loop when a local repository's branches move: inotify on `refs/heads` (and every
/// folder under it, for `feature/x` branches) and on the repository folder for `packed-refs`. Git
/// writes `refs/heads/main.lock` and renames it over `refs/heads/main`; the rename is what wakes.
/// The loop's poll stays as the fallback (events can be lost when the kernel's queue overflows, and
/// other systems have no inotify).
final class RefEvents: Sendable {
    private let descriptor: Int32
    private let stop = OneWayFlag()

    /// Starts watching `gitDirectory`; nil where inotify is unavailable (the loop then polls).
    init?(gitDirectory: String, onChange: @escaping @Sendable () -> Void) {
        #if os(Linux)
            let fd = inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK))
            guard fd >= 0 else { return nil }
            descriptor = fd
            let watches = RefWatches(descriptor: fd, root: gitDirectory)
            guard watches.start() else {
                close(fd)
                return nil
            }
            let stop = self.stop
            Thread.detachNewThread {
                watches.loop(until: stop, onChange: onChange)
                close(fd)
            }
        #else
            return nil
        #endif
    }

    /// Stops watching (within the loop's 200 ms wait).
    func cancel() { stop.set() }

    deinit { stop.set() }
}

#if os(Linux)
    /// The watch descriptors of one inotify instance (used from its reading thread only).
    private final class RefWatches: @unchecked Sendable {
        let descriptor: Int32
        let root: String
        var folders: [Int32: String] = [:]

        static let refMask = UInt32(IN_MOVED_TO | IN_CLOSE_WRITE | IN_CREATE | IN_DELETE | IN_MOVED_FROM)

        init(descriptor: Int32, root: String) {
            self.descriptor = descriptor
            self.root = root
        }

        /// Watches the repository folder (packed-refs) and refs/heads with its sub-folders.
        func start() -> Bool {
            guard add(root) else { return false }
            addTree(root + "/refs/heads")
            return true
        }

        @discardableResult
        func add(_ folder: String) -> Bool {
            let wd = inotify_add_watch(descriptor, folder, Self.refMask | UInt32(IN_ONLYDIR))
            guard wd >= 0 else { return false }
            folders[wd] = folder
            return true
        }

        func addTree(_ folder: String) {
            guard add(folder) else { return }
            let children = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
            for child in children {
                var isFolder: ObjCBool = false
                let path = folder + "/" + child
                if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
                    addTree(path)
                }
            }
        }

        func loop(until stop: OneWayFlag, onChange: @Sendable () -> Void) {
            var buffer = [UInt8](repeating: 0, count: 64 * 1024)
            while !stop.isSet {
                var pollfd = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
                guard poll(&pollfd, 1, 200) > 0 else { continue }
                let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                guard count > 0 else { continue }
                if relevant(buffer, count: count) { onChange() }
            }
        }

        /// Whether the batch holds a ref change: a name other than a `.lock` file moved or written in
        /// refs/heads, or `packed-refs` replaced; new folders under refs/heads are watched too.
        func relevant(_ buffer: [UInt8], count: Int) -> Bool {
            var changed = false
            var offset = 0
            let header = MemoryLayout<inotify_event>.size
            while offset + header <= count {
                let (wd, mask, length) = buffer.withUnsafeBytes { raw -> (Int32, UInt32, Int) in
                    let event = raw.loadUnaligned(fromByteOffset: offset, as: inotify_event.self)
                    return (event.wd, event.mask, Int(event.len))
                }
                let nameBytes = buffer[(offset + header)..<min(count, offset + header + length)]
                let name = String(decoding: nameBytes.prefix { $0 != 0 }, as: UTF8.self)
                offset += header + length
                if mask & UInt32(IN_Q_OVERFLOW) != 0 {
                    changed = true
                    continue
                }
                guard let folder = folders[wd] else { continue }
                if mask & UInt32(IN_ISDIR) != 0 {
                    if mask & UInt32(IN_CREATE | IN_MOVED_TO) != 0, folder != root || name == "refs" {
                        addTree(folder + "/" + name)
                    }
                    continue
                }
                if name.hasSuffix(".lock") { continue }
                if folder == root {
                    if name == "packed-refs" { changed = true }
                } else {
                    changed = true
                }
            }
            return changed
        }
    }
#endif
