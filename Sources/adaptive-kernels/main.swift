import AdaptiveKernelsCLI
import Foundation

let result = AdaptiveKernelsCommandLine.run(Array(CommandLine.arguments.dropFirst()))
FileHandle.standardOutput.write(result.standardOutput.data(using: .utf8)!)
FileHandle.standardError.write(result.standardError.data(using: .utf8)!)
exit(result.exitCode)
