import Foundation
import Core

/// `--architecture mlp|cnn --image-shape HxWxC --patch K --stride S` (two-layer networks,
/// notes/cnn-two-layer.md (CN1)): parsed into a `Core.Architecture`, echoed as the JSON object
/// "architecture" (present only when --architecture is given, so every existing output is unchanged).
enum ArchitectureOptions {
    static let names: Set<String> = ["architecture", "image-shape", "patch", "stride"]

    static let usage = """
      --architecture mlp|cnn (default mlp), two-layer networks only (--depth 1): cnn is N filters on the
        K x K patches at stride S (default 1) of H x W x C images (the features, row-major, channel fastest:
        D = H W C) with global average pooling, h_{i,p}(x) = w_i . patch_p(x)/sqrt(K^2 C),
        f(x) = (1/(G N)) sum_i a_i |P|^-1 sum_p phi(h_{i,p}(x)) (notes/cnn-two-layer.md (CN1)):
        --image-shape HxWxC --patch K [--stride S]. The JSON then echoes "architecture".

    """

    /// nil without --architecture (the CNN options alone are refused).
    static func parse(_ options: ParsedArguments, depth: Int) throws -> Architecture? {
        guard let kind = options.value("architecture") else {
            if let extra = ["image-shape", "patch", "stride"].first(where: { options.value($0) != nil }) {
                throw UsageError("--\(extra) belongs to --architecture cnn")
            }
            return nil
        }
        switch kind {
        case "mlp":
            if let extra = ["image-shape", "patch", "stride"].first(where: { options.value($0) != nil }) {
                throw UsageError("--\(extra) belongs to --architecture cnn, not mlp")
            }
            return .mlp
        case "cnn":
            guard depth == 1 else { throw UsageError("--architecture cnn is a two-layer network: it needs --depth 1 (got \(depth))") }
            return .cnn(try geometry(options, for: "--architecture cnn"))
        default:
            throw UsageError("--architecture must be mlp or cnn (got '\(kind)')")
        }
    }

    /// The convolution of --image-shape, --patch, --stride (default 1); `what` names the option that needs them.
    static func geometry(_ options: ParsedArguments, for what: String) throws -> ConvolutionGeometry {
        guard let shapeText = options.value("image-shape") else { throw UsageError("\(what) needs --image-shape HxWxC") }
        guard let patchText = options.value("patch") else { throw UsageError("\(what) needs --patch K") }
        guard let patch = Int(patchText) else { throw UsageError("--patch must be a positive integer (got '\(patchText)')") }
        let strideText = options.value("stride") ?? "1"
        guard let stride = Int(strideText) else { throw UsageError("--stride must be a positive integer (got '\(strideText)')") }
        do {
            let shape = try ConvolutionGeometry.parseShape(shapeText)
            return try ConvolutionGeometry(height: shape.height, width: shape.width, channels: shape.channels, patch: patch, stride: stride)
        } catch let error as InputError { throw UsageError("\(what): \(error.description)") }
    }

    /// {"kind", "image_shape" ([H, W, C] or null), "patch", "stride" (integers or null)}.
    static func json(_ architecture: Architecture) -> JSONValue {
        guard let g = architecture.geometry else {
            return .object([("kind", .string("mlp")), ("image_shape", .null), ("patch", .null), ("stride", .null)])
        }
        return .object([("kind", .string("cnn")), ("image_shape", .array([.integer(g.height), .integer(g.width), .integer(g.channels)])),
                        ("patch", .integer(g.patch)), ("stride", .integer(g.stride))])
    }

    /// One line for the tables; nil for the MLP.
    static func line(_ architecture: Architecture) -> String? {
        guard let g = architecture.geometry else { return nil }
        return "CNN (notes/cnn-two-layer.md): \(g.shapeText) images, patch \(g.patch), stride \(g.stride), |P| = \(g.positionCount) positions, global average pooling"
    }
}
