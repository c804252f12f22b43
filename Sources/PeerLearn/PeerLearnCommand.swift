import ArgumentParser

/// `peerlearn`: the PeerLearn server's command line.
@main
struct PeerLearnCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "peerlearn",
        abstract: "PeerLearn: control plane (sessions, bookings, room tokens) and media relay.",
        subcommands: [ServeCommand.self, RelayCommand.self, BenchBookingsCommand.self, AdminCommand.self],
        defaultSubcommand: ServeCommand.self)
}
