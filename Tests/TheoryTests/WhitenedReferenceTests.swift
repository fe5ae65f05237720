import XCTest
@testable import Core
import Numerics
@testable import Theory

/// Values from notes/theory-overview.md (T12) and from notes/checks/whitened_reference.py (mpmath, an independent
/// method in t = ln c), compared to every printed digit.
final class WhitenedReferenceTests: XCTestCase {
    func problem(_ gamma: String, _ beta: String, _ depth: Int) throws -> WhitenedProblem {
        try WhitenedProblem(gamma: BigRational(parsing: gamma), beta: InverseTemperature(parsing: beta), depth: depth)
    }

    /// mpmath's nstr drops trailing zeros; so do we before comparing.
    func stripped(_ text: String) -> String {
        guard text.contains("."), !text.contains("e") else { return text }
        var t = text
        while t.hasSuffix("0") { t.removeLast() }
        if t.hasSuffix(".") { t.removeLast() }
        return t
    }

    func assertRoots(_ gamma: String, _ beta: String, _ depth: Int, _ expected: [(c: String, chi: String, action: String)],
                     file: StaticString = #filePath, line: UInt = #line) throws {
        let solution = try WhitenedOverlapSolver().solve(problem(gamma, beta, depth), digits: 40)
        XCTAssertEqual(solution.roots.count, expected.count, "root count", file: file, line: line)
        for (root, reference) in zip(solution.roots, expected) {
            let digits = reference.c.filter(\.isNumber).drop(while: { $0 == "0" }).count
            XCTAssertEqual(stripped(root.overlap.certifiedDecimal(significantDigits: 40)!.text), stripped(reference.c), file: file, line: line)
            XCTAssertEqual(stripped(root.chi.certifiedDecimal(significantDigits: 40)!.text), stripped(reference.chi), file: file, line: line)
            XCTAssertEqual(stripped(root.action.certifiedDecimal(significantDigits: 40)!.text), stripped(reference.action), file: file, line: line)
            // The enclosure meets the reference's own rounding interval.
            let value = try BigRational(parsing: reference.c)
            let exponent = Int((value.naturalLogMagnitude / log(10)).rounded(.down))
            let halfUlp = BigRational(5) * BigRational(10).power(exponent - digits)
            XCTAssertLessThanOrEqual(root.overlap.lower.rational, value + halfUlp, file: file, line: line)
            XCTAssertGreaterThanOrEqual(root.overlap.upper.rational, value - halfUlp, file: file, line: line)
        }
    }

    func testTheoryReferenceValues() throws {
        try assertRoots("1", "10", 1, [("1.564642107233421532008679983955752283364", "-0.5646421072334215320086799839557522833638", "0.3588573613450216887839318295678030148682")])
        try assertRoots("1", "10", 4, [("2.981240152385322362238573573411464724975", "-0.3140117249453535819176779269852786576719", "0.2441260875507419573778034550761498066298")])
        try assertRoots("4", "10", 16, [("55.790734915273130345303922069964589464", "-0.2857606495810606280482668047468867067273", "0.4184177145639009185928968345402500969199")])
        try assertRoots("1", "100", 1000, [("190.0542833244006104209618692387170285724", "-0.005261100974533656410953636470368577916481", "0.009526309633128155103136394984919939872012")])
    }

    func testUntunedParametersAgreeWithIndependentMpmath() throws {
        try assertRoots("7/3", "0.37", 23, [("28.90866982797342345613306149780147818251", "-0.1575052280707635345354275571067839228362", "0.2153546315339640481658889171106499378641")])
        try assertRoots("0.05", "inf", 7, [("1.017329241376803233050154432793541172986", "-0.002457414864647577876959190836497035929535", "0.001239258204455762300202470280109700080115")])
        try assertRoots("12", "3/2", 100, [("1842.71772928993456939458552505992353092", "-0.0780889336984569221747012546572415879189", "0.184006883624082592488766996038646490808")])
        try assertRoots("2.5e-3", "1000", 5, [("1.000031187011995470863552036108187672302", "-0.000006237324590172768377356894844879077527597", "0.000003121829490193085091985884719306943660157")])
        try assertRoots("9", "1/3", 6, [("71.84173233024169455110173500847326727661", "-1.038900970851952738703296746165335295457", "1.520612080818418166196911524421270956248")])
        try assertRoots("31/10", "inf", 250, [("396.7482978534749964377311053872774386114", "-0.02422190605981910191256809482989650639357", "0.04819817592083240354545364618202711580483")])
    }

    func testThreeRootsInTheMultiSaddleRegime() throws {
        try assertRoots("316", "1/10000", 10, [
            ("1.010130611784995194178255712230061812574", "-0.001008472275670579968136107405485164067564", "4.992298253760459765653367789236317633309"),
            ("1371.972549084266142466276696860662812736", "-1.059370760377751292945532565260311900271", "6.075294641508043546200038291473747405483"),
            ("31733.70787596946544439775334448277537063", "-1.819370050041930874852601524699707616537", "5.110629973444830745832449757737649773524"),
        ])
        let solution = try WhitenedOverlapSolver().solve(problem("316", "1/10000", 10), digits: 20)
        XCTAssertEqual(solution.roots.map(\.stationarity), [.minimum, .maximum, .minimum])
        XCTAssertEqual(solution.roots.map(\.isDominant), [true, false, false])
    }

    func testTheoryMultiRootExampleAtGammaSquaredTenToTheFive() throws {
        // gamma = sqrt(1e5) to 20 digits; the literature quotes c ~ 1.0101, 1368.5, 31801.4, S ~ 4.9995, 6.0816, 5.1124.
        let solution = try WhitenedOverlapSolver().solve(problem("316.22776601683793320", "1/10000", 10), digits: 12)
        XCTAssertEqual(solution.roots.map { $0.overlap.certifiedDecimal(significantDigits: 5)!.text }, ["1.0101", "1368.5", "31801"])
        XCTAssertEqual(solution.roots.map { $0.action.certifiedDecimal(significantDigits: 5)!.text }, ["4.9995", "6.0816", "5.1124"])
        XCTAssertTrue(solution.roots[0].isDominant)
    }

    func testThousandDigits() throws {
        let solution = try WhitenedOverlapSolver().solve(problem("1", "10", 4), digits: 1000)
        let text = solution.roots[0].overlap.certifiedDecimal(significantDigits: 1000)!.text
        XCTAssertEqual(text, WhitenedReferenceTests.thousandDigits)
        XCTAssertLessThan(solution.roots[0].overlap.log2RelativeWidth, -1000 * 3.3219)
    }

    // notes/checks/whitened_reference_1000.py (mpmath at 1030 digits)
    static let thousandDigits = "2.981240152385322362238573573411464724974742224079296623410858449508654646408982340977175046364945052666454059370355538497750401652729064481597477515692727462565565896419418104668501150318785676972394960884342963198916823493367856218550519390049152250808186238489442329938344063863805517560924836452706103022485404055848184403410704804024069441326498715121888701497083421686886698004668318497023556074541902791006145350459277193695722001898439655580888064262925077631066551001373877438195511739624058259875624657137725991958969265891340255275145360916720350722501289095554406774337027691841343816587335073631795087001140623624290959507541323169502584444042546905325104677904754242339855557624825174492474379804475676662424087930354918877049558114456186861409373962558259639662776617882334321500177389273891063611730064660583539069095786973436877073657842318812159508319175709882049161128605705802462443452032541216618305433920057673280490823302132399653578096563864484041496752988504784534717081070045"
}
