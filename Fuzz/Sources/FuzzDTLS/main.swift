import DTLS
import FuzzSupport

#if canImport(Glibc)
import Glibc
#endif

// The DTLS record entry as the relay runs it: a server-role DTLSConnection (one per participant)
// fed whatever a stranger sends, before, during and after a real handshake. OpenSSL itself is
// Debian's and not instrumented; what the fuzzer steers is our sans-IO wrapper (the datagram BIO,
// the event and timer bookkeeping, certificate-fingerprint verification, key export), and
// AddressSanitizer watches every byte OpenSSL reads from or writes to our buffers.
//
// Input: first byte even → a fresh server gets every record (FuzzRecords) as a datagram;
// odd → a real client handshakes with the server and record i is injected into the server just
// before the client's i-th datagram, then the rest after the handshake. With bit 1 set as well, the
// server is retired after the handshake (as the relay does at a peer's first SRTP), so the rest reaches
// our record parser and the kept record keys (`DTLSRecordProtection`) instead of OpenSSL.
// FUZZ_DTLS_WRITE_SEEDS=<dir> writes a real handshake's client flights there as seeds and exits.

let serverCertificate = try! DTLSCertificate()
let clientCertificate = try! DTLSCertificate()

func makeServer() -> DTLSConnection {
    try! DTLSConnection(
        configuration: .init(role: .server, certificate: serverCertificate, remoteFingerprint: clientCertificate.fingerprint))
}

func makeClient() -> DTLSConnection {
    try! DTLSConnection(
        configuration: .init(role: .client, certificate: clientCertificate, remoteFingerprint: serverCertificate.fingerprint))
}

func drain(_ connection: DTLSConnection) {
    while let event = connection.pollEvent() { consume(event) }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    guard let mode = input.first else { return 0 }
    var records = FuzzRecords(UnsafeRawBufferPointer(rebasing: input.dropFirst()))
    let server = makeServer()
    let now = ContinuousClock.now
    if mode & 1 == 0 {
        while let (_, body) = records.next() {
            server.handleDatagram(body, now: now)
            while let reply = server.pollTransmit() { consume(reply) }
            drain(server)
        }
        server.handleTimeout(now: now + .seconds(31))
        drain(server)
        return 0
    }
    let client = makeClient()
    client.start(now: now)
    for _ in 0..<12 {
        var moved = false
        while let datagram = client.pollTransmit() {
            if let (_, injected) = records.next() { server.handleDatagram(injected, now: now) }
            server.handleDatagram(datagram, now: now)
            moved = true
        }
        while let datagram = server.pollTransmit() {
            client.handleDatagram(datagram, now: now)
            moved = true
        }
        drain(server)
        drain(client)
        if !moved { break }
    }
    if mode & 2 != 0 { _ = server.retire() }
    while let (_, injected) = records.next() {
        server.handleDatagram(injected, now: now)
        while let reply = server.pollTransmit() { client.handleDatagram(reply, now: now) }
        drain(server)
    }
    server.close()
    while let reply = server.pollTransmit() { client.handleDatagram(reply, now: now) }
    drain(client)
    return 0
}

/// Writes the client's flights of one real handshake, each as a single-record seed for both modes.
func writeSeeds(to directory: String) {
    let server = makeServer()
    let client = makeClient()
    let now = ContinuousClock.now
    client.start(now: now)
    var flights: [[UInt8]] = []
    for _ in 0..<12 {
        var moved = false
        while let datagram = client.pollTransmit() {
            flights.append(datagram)
            server.handleDatagram(datagram, now: now)
            moved = true
        }
        while let datagram = server.pollTransmit() {
            client.handleDatagram(datagram, now: now)
            moved = true
        }
        if !moved { break }
    }
    for (index, flight) in flights.enumerated() {
        for mode: UInt8 in [0, 1] {
            let seed = [mode] + FuzzRecords.encode([(0, flight)])
            let path = "\(directory)/client-datagram-\(index)-mode\(mode)"
            guard let file = fopen(path, "wb") else { continue }
            _ = seed.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
            fclose(file)
        }
    }
    print("wrote \(flights.count * 2) seeds to \(directory)")
}

if let directory = getenv("FUZZ_DTLS_WRITE_SEEDS") {
    writeSeeds(to: String(cString: directory))
    exit(0)
}
runFuzzer(fuzz)
