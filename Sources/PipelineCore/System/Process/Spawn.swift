import Foundation

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// posix_spawn with a clean signal state: no blocked signals and default handlers for the usual ones,
/// in a process group of its own (so a stop reaches its children too) or, with `newSession`, a session
/// of its own, detached from any terminal. `actions` says where its standard descriptors go.
public enum Spawn {
    /// Starts `argv` with the environment, file actions and (optionally) a new session; returns its pid.
    public static func start(
        _ path: String, _ arguments: [String], environment: [String: String],
        actions: inout posix_spawn_file_actions_t, newSession: Bool = false
    ) throws -> pid_t {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for s in [SIGTERM, SIGINT, SIGPIPE, SIGHUP, SIGQUIT, SIGCHLD] { sigaddset(&defaults, s) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        #if canImport(Darwin)
            let setsid = Int32(POSIX_SPAWN_SETSID)
        #else
            // POSIX_SPAWN_SETSID: glibc ≥ 2.26 defines it; Swift's Glibc module does not export it.
            let setsid: Int32 = 0x80
        #endif
        var flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF
        if newSession {
            flags |= setsid
        } else {
            posix_spawnattr_setpgroup(&attributes, 0)
            flags |= POSIX_SPAWN_SETPGROUP
        }
        posix_spawnattr_setflags(&attributes, Int16(flags))
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
        guard result == 0 else {
            throw PipelineError(.io, "cannot start \(path): \(String(cString: strerror(result)))")
        }
        return pid
    }
}
