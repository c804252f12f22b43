import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdBcrypt
import NIOPosix
import Synchronization

/// bcrypt on a thread pool of its own, with a bounded queue.
///
/// A hash costs hundreds of milliseconds by design. On NIO's shared blocking pool (which SQLite and file IO
/// also use) a burst of logins would queue every database call behind it; queued without bound it would also
/// hold every waiting request's memory. So hashing gets `threads` threads nobody else uses, at most
/// `queueLimit` hashes may be running or waiting, and the next one is refused at once (503 `Retry-After`).
struct PasswordHasher: Sendable {
    let cost: UInt8
    let pool: NIOThreadPool
    let queueLimit: Int
    private let pending: Admission
    /// A real hash of a random password at the same cost: login verifies against it when no account matches,
    /// so an unknown username costs exactly the work of a wrong password and timing names no account.
    let dummyHash: String

    /// The server is out of hashing capacity; try again shortly.
    struct Busy: HTTPResponseError {
        var status: HTTPResponse.Status { .serviceUnavailable }
        func response(from request: Request, context: some RequestContext) throws -> Response {
            var headers = HTTPFields()
            headers[.contentType] = "application/json; charset=utf-8"
            headers[.retryAfter] = "1"
            return Response(
                status: .serviceUnavailable, headers: headers,
                body: .init(byteBuffer: ByteBuffer(string: #"{"error":"busy","reason":"too many sign-ins at once; retry in 1 s"}"#)))
        }
    }

    final class Admission: Sendable {
        let count = Mutex(0)
    }

    /// One started pool per thread count for the whole process: services are built per test, and threads
    /// that were never shut down must not pile up.
    private static let pools = Mutex<[Int: NIOThreadPool]>([:])

    static func sharedPool(threads: Int) -> NIOThreadPool {
        pools.withLock { pools in
            if let pool = pools[threads] { return pool }
            let pool = NIOThreadPool(numberOfThreads: threads)
            pool.start()
            pools[threads] = pool
            return pool
        }
    }

    init(cost: UInt8, threads: Int, queueLimit: Int) async throws {
        self.cost = cost
        self.pool = Self.sharedPool(threads: threads)
        self.queueLimit = queueLimit
        self.pending = Admission()
        let random = (0..<24).map { _ in String(UInt8.random(in: 33...126), radix: 16) }.joined()
        let pool = self.pool
        self.dummyHash = try await pool.runIfActive { Bcrypt.hash(random, cost: cost) }
    }

    func hash(_ password: String) async throws -> String {
        let cost = self.cost
        return try await admitted { try await pool.runIfActive { Bcrypt.hash(password, cost: cost) } }
    }

    func verify(_ password: String, hash: String) async throws -> Bool {
        try await admitted { try await pool.runIfActive { Bcrypt.verify(password, hash: hash) } }
    }

    /// Runs `work` if fewer than `queueLimit` hashes are in flight, else throws `Busy` without waiting.
    private func admitted<T: Sendable>(_ work: () async throws -> T) async throws -> T {
        let admitted = pending.count.withLock { count in
            guard count < queueLimit else { return false }
            count += 1
            return true
        }
        guard admitted else { throw Busy() }
        defer { pending.count.withLock { $0 -= 1 } }
        return try await work()
    }
}
