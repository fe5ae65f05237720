import Foundation

/// The architecture of a two-layer network (notes/cnn-two-layer.md (CN1)): a fully connected
/// network (`mlp`, the first layer sees the whole input) or a convolutional one (`cnn`, N filters
/// applied to every patch of an image, global average pooling before the readout).
public enum Architecture: Sendable, Equatable {
    case mlp
    case cnn(ConvolutionGeometry)

    /// "mlp" or "cnn".
    public var kind: String {
        switch self {
        case .mlp: return "mlp"
        case .cnn: return "cnn"
        }
    }

    /// The convolution, nil for the MLP.
    public var geometry: ConvolutionGeometry? {
        if case .cnn(let g) = self { return g }
        return nil
    }
}

/// Images of shape H x W x C, flattened row-major with the channel fastest (feature index
/// (r W + c) C + channel, the layout of Tests/Fixtures/digits: 8 x 8 x 1), seen through square
/// K x K patches at stride S over the valid positions (notes/cnn-two-layer.md (CN1)):
/// positions p = (r, c) with r = 0, S, ..., H - K and c = 0, S, ..., W - K, row-major; the patch
/// vector patch_p(x) has K^2 C entries, index (dr K + dc) C + channel.
public struct ConvolutionGeometry: Sendable, Equatable {
    public let height: Int
    public let width: Int
    public let channels: Int
    public let patch: Int
    public let stride: Int

    /// Throws `InputError` (one sentence) unless 1 <= K <= min(H, W), S >= 1 and H, W, C >= 1.
    public init(height: Int, width: Int, channels: Int, patch: Int, stride: Int) throws {
        guard height >= 1, width >= 1, channels >= 1 else {
            throw InputError("the image shape must have positive height, width and channels (got \(height)x\(width)x\(channels))")
        }
        guard stride >= 1 else { throw InputError("the stride must be at least 1 (got \(stride))") }
        guard patch >= 1, patch <= min(height, width) else {
            throw InputError("the patch size must be in 1...\(min(height, width)) for a \(height)x\(width)x\(channels) image (got \(patch))")
        }
        self.height = height; self.width = width; self.channels = channels; self.patch = patch; self.stride = stride
    }

    /// Features per image, H W C.
    public var featureCount: Int { height * width * channels }
    /// Entries of one patch, K^2 C (the filter's fan-in).
    public var patchDimension: Int { patch * patch * channels }
    /// Valid positions per axis and in all, |P| = rows x columns.
    public var positionRows: Int { (height - patch) / stride + 1 }
    public var positionColumns: Int { (width - patch) / stride + 1 }
    public var positionCount: Int { positionRows * positionColumns }

    /// "HxWxC".
    public var shapeText: String { "\(height)x\(width)x\(channels)" }

    /// Parses "HxWxC" (or "HxW", one channel).
    public static func parseShape(_ text: String) throws -> (height: Int, width: Int, channels: Int) {
        let parts = text.split(separator: "x", omittingEmptySubsequences: false).map { Int($0) }
        guard (2...3).contains(parts.count), parts.allSatisfy({ ($0 ?? 0) >= 1 }) else {
            throw InputError("the image shape must be HxWxC with positive integers, e.g. 8x8x1 (got '\(text)')")
        }
        return (parts[0]!, parts[1]!, parts.count == 3 ? parts[2]! : 1)
    }

    /// Checks that the data's feature count is H W C.
    public func validate(_ data: LabelledData) throws {
        guard data.dimension == featureCount else {
            throw InputError("the image shape \(shapeText) has \(featureCount) features but the data have D = \(data.dimension)")
        }
    }

    /// The patch matrix A over all n points: row nu |P| + p is patch_p(x_nu)/sqrt(K^2 C), so that the
    /// patch-patch input kernel (CN2) is A A^T ((n |P|) x (n |P|), point-major, training points first).
    /// Size (n |P|) x K^2 C.
    public func scaledPatches(_ data: LabelledData) -> [Double] {
        let d = patchDimension, positions = positionCount, n = data.count, features = featureCount
        let scale = 1 / Double(d).squareRoot()
        var a = [Double](repeating: 0, count: n * positions * d)
        for nu in 0..<n {
            let image = nu * features
            for pr in 0..<positionRows { for pc in 0..<positionColumns {
                let row = (nu * positions + pr * positionColumns + pc) * d
                for dr in 0..<patch { for dc in 0..<patch { for ch in 0..<channels {
                    let source = image + ((pr * stride + dr) * width + pc * stride + dc) * channels + ch
                    a[row + (dr * patch + dc) * channels + ch] = data.inputs[source] * scale
                } } }
            } }
        }
        return a
    }

    /// The patch-patch input kernel C_{pp'}(x_mu, x_nu) = patch_p(x_mu).patch_p'(x_nu)/(K^2 C) (CN2)
    /// over all n points: (n |P|) x (n |P|), index (mu |P| + p, nu |P| + p').
    public func inputTensor(_ data: LabelledData) -> [Double] {
        let a = scaledPatches(data), m = data.count * positionCount, d = patchDimension
        var c = [Double](repeating: 0, count: m * m)
        for i in 0..<m { for j in i..<m {
            var s = 0.0
            for k in 0..<d { s += a[i * d + k] * a[j * d + k] }
            c[i * m + j] = s; c[j * m + i] = s
        } }
        return c
    }
}
