import XCTest
@testable import Core
import Numerics
@testable import Theory

/// The allocation-free kernel forms of E, E', s^L and the action against exact rational values and
/// the generic interval forms (notes/whitened-overlaps.md, "Fast evaluation", eqs. W4, W8', W9, K1, K2).
final class WhitenedKernelTests: XCTestCase {
    private func exactE(_ u: BigRational, g: BigRational, b: BigRational, depth: Int) -> BigRational {
        var sL = BigRational(1)
        for _ in 0..<depth { sL = sL * (u + BigRational(1)) }
        return u * (b + sL) * (b + sL) - g * sL
    }

    private func exactDerivative(_ u: BigRational, g: BigRational, b: BigRational, depth: Int) -> BigRational {
        var sLminus1 = BigRational(1)
        for _ in 0..<(depth - 1) { sLminus1 = sLminus1 * (u + BigRational(1)) }
        let bPlusSL = b + sLminus1 * (u + BigRational(1))
        return bPlusSL * bPlusSL + BigRational(2 * depth) * u * sLminus1 * bPlusSL - g * sLminus1 * BigRational(depth)
    }

    private func contains(_ x: Interval, _ value: BigRational) -> Bool {
        x.lower.rational <= value && value <= x.upper.rational
    }

    func testKernelEnclosuresContainExactValuesAndMatchTheGenericForms() throws {
        var generator = SeededGenerator(seed: 42)
        for trial in 0..<80 {
            let gamma = generator.rational(in: 0...20, maxDenominator: 9)
            let beta: InverseTemperature = trial % 5 == 0 ? .infinite : .finite(generator.rational(in: 1...50, maxDenominator: 13))
            let depth = Int.random(in: 1...12, using: &generator)
            let problem = try WhitenedProblem(gamma: gamma, beta: beta, depth: depth)
            let equations = WhitenedEquations(problem)
            let precision = [64, 100, 128, 200, 333][trial % 5]
            let point = Dyadic(BigInt(Int.random(in: 1...1_000_000, using: &generator)), exponent: -Int.random(in: 0...24, using: &generator))
            let u = Interval(point, precision: precision)
            let exact = exactE(point.rational, g: problem.gammaSquared, b: problem.ridge, depth: depth)
            let kernel = equations.kernel.rootFunction(u), generic = equations.intervalRootFunction(u)
            let context = "gamma=\(gamma) beta=\(beta) L=\(depth) u=\(point) p=\(precision)"
            XCTAssertTrue(contains(kernel, exact), "kernel E misses the exact value: " + context)
            XCTAssertTrue(contains(generic, exact), context)
            let certified = equations.kernel.certifiedSign(at: point, bits: precision)
            if let sign = certified {
                XCTAssertEqual(sign, exact.signum, "certified sign wrong: " + context)
            }
            // Trying the bounds for an expected sign first gives the same answer whatever is expected.
            for expected in [-1, 1] {
                XCTAssertEqual(equations.kernel.certifiedSign(at: point, bits: precision, expected: expected), certified,
                               "sign with \(expected) expected: " + context)
            }
            let slope = equations.kernel.rootFunctionDerivative(u)
            XCTAssertTrue(contains(slope, exactDerivative(point.rational, g: problem.gammaSquared, b: problem.ridge, depth: depth)), context)
            // Same interval extension: the two widths are within a few units of each other.
            if !kernel.isPoint && !generic.isPoint && exact.signum != 0 {
                XCTAssertLessThan(abs(kernel.width.log2Magnitude - generic.width.log2Magnitude), 8, context)
            }
            // s^L over a small interval around the point.
            let radius = Dyadic(BigInt(1), exponent: point.topBit - 40)
            let around = Interval(lower: Dyadic.exactSum(point, radius.negated), upper: Dyadic.exactSum(point, radius), precision: precision)
            let overlap = equations.kernel.overlap(around)
            for end in [around.lower, around.upper] {
                var power = BigRational(1)
                for _ in 0..<depth { power = power * (end.rational + BigRational(1)) }
                XCTAssertTrue(contains(overlap, power), context)
            }
        }
    }

    /// The action from the positive series (eq. W8') and its a-priori upper bound (eq. K2) against
    /// the generic enclosure (logarithm by atanh series): they must overlap, and the kernel's is
    /// tight to the requested bits.
    func testKernelActionAgreesWithTheGenericAction() throws {
        for (gamma, beta, depth) in [("1", "10", 1), ("1", "10", 37), ("4", "10", 16), ("316", "1/10000", 10), ("0.05", "inf", 7), ("12", "3/2", 100), ("1", "10", 1000)] {
            let problem = try WhitenedProblem(gamma: BigRational(parsing: gamma), beta: InverseTemperature(parsing: beta), depth: depth)
            let solution = try WhitenedOverlapSolver().solve(problem, digits: 40)
            let equations = WhitenedEquations(problem)
            for root in solution.roots {
                let u = root.negatedChi.withPrecision(200)
                let overlap = equations.kernel.overlap(u)
                let generic = equations.action(u)
                let context = "gamma=\(gamma) beta=\(beta) L=\(depth) u=\(u)"
                guard let kernel = equations.kernel.action(u, overlap: overlap, relativeBits: 160) else {
                    // Only allowed where z = u/(2+u) may reach 1/4.
                    XCTAssertGreaterThan(u.upper.doubleApproximation, 0.6, context)
                    continue
                }
                XCTAssertLessThanOrEqual(kernel.lower, generic.upper, context)
                XCTAssertLessThanOrEqual(generic.lower, kernel.upper, context)
                // Both widths are set by u's own width ((L/2)(u_hi − u_lo) u_hi); the series and
                // its K2 bound add little on top.
                XCTAssertLessThan(kernel.log2RelativeWidth, generic.log2RelativeWidth + 2, context)
            }
        }
    }

    /// The fast refinement's certified bracket and the generic refinement's bracket enclose the
    /// same root.
    func testFastRefinementAgreesWithTheGenericFinder() throws {
        for (gamma, beta, depth) in [("1", "10", 3), ("7/3", "0.37", 23), ("2.5e-3", "1000", 5), ("9", "1/3", 6), ("1", "100", 1000)] {
            let problem = try WhitenedProblem(gamma: BigRational(parsing: gamma), beta: InverseTemperature(parsing: beta), depth: depth)
            let equations = WhitenedEquations(problem)
            let (isolated, _) = try WhitenedOverlapSolver().isolate(equations, depthBits: 11)
            for entry in isolated {
                let fast = try XCTUnwrap(equations.kernel.refine(entry.bracket, start: entry.hint, targetBits: 300, guardBits: 70))
                let function = IntervalFunction(value: equations.intervalRootFunction, derivative: equations.intervalRootFunctionDerivative)
                let generic = try CertifiedRootFinder(guardBits: 70).refine(function, bracket: entry.bracket, start: entry.hint, targetBits: 300)
                XCTAssertLessThanOrEqual(fast.lower, generic.upper)
                XCTAssertLessThanOrEqual(generic.lower, fast.upper)
                XCTAssertGreaterThanOrEqual(CertifiedRootFinder.relativeWidthBits(fast.lower, fast.upper), 300)
            }
        }
    }

    /// Regression: the generic finder, started without a hint far from the root, used to reuse a
    /// slope from a distant iterate above 192 bits and converge only linearly (iteration limit).
    func testGenericFinderConvergesFromADistantStart() throws {
        let problem = try WhitenedProblem(gamma: BigRational(parsing: "7/3"), beta: InverseTemperature(parsing: "0.37"), depth: 23)
        let equations = WhitenedEquations(problem)
        let (isolated, _) = try WhitenedOverlapSolver().isolate(equations, depthBits: 5)
        let function = IntervalFunction(value: equations.intervalRootFunction, derivative: equations.intervalRootFunctionDerivative)
        let refined = try CertifiedRootFinder(guardBits: 58).refine(function, bracket: isolated[0].bracket, start: nil, targetBits: 300)
        XCTAssertGreaterThanOrEqual(CertifiedRootFinder.relativeWidthBits(refined.lower, refined.upper), 300)
        XCTAssertEqual(refined.lower.doubleApproximation, 0.15750522807076353, accuracy: 1e-15)
    }

    /// A solve that reuses another's state (`WhitenedSolveCache`) gives the same digits as a fresh
    /// one, across changes of depth, gamma and beta (the cache must notice them).
    func testSolveCacheDoesNotChangeResults() throws {
        let cache = WhitenedSolveCache()
        let solver = WhitenedOverlapSolver()
        for (gamma, beta, depth) in [("1", "10", 3), ("1", "10", 900), ("1", "10", 1), ("316", "1/10000", 10), ("316", "1/10000", 9),
                                     ("1", "inf", 5), ("1", "10", 7), ("7/3", "0.37", 23)] {
            let problem = try WhitenedProblem(gamma: BigRational(parsing: gamma), beta: InverseTemperature(parsing: beta), depth: depth)
            let cached = try solver.solve(problem, digits: 40, cache: cache)
            let fresh = try solver.solve(problem, digits: 40)
            XCTAssertEqual(cached.roots.map { $0.overlapDecimal?.text }, fresh.roots.map { $0.overlapDecimal?.text }, "\(gamma) \(beta) \(depth)")
            XCTAssertEqual(cached.roots.map { $0.actionDecimal?.text }, fresh.roots.map { $0.actionDecimal?.text })
            XCTAssertEqual(cached.roots.map(\.isDominant), fresh.roots.map(\.isDominant))
        }
    }

    /// The warm start (in a run of depths the previous depth's Double hint seeds the next one's,
    /// notes/whitened-overlaps.md section 4b) changes neither the digits nor the enclosures: a run of
    /// depths with one cache, with jumps up and down, against fresh solves, endpoint by endpoint.
    func testWarmStartedDepthsEqualFreshSolves() throws {
        let cache = WhitenedSolveCache()
        let solver = WhitenedOverlapSolver()
        for depth in Array(1...40) + [400, 7, 2000, 3, 1] {
            let problem = try WhitenedProblem(gamma: BigRational(1), beta: .finite(BigRational(10)), depth: depth)
            let warm = try solver.solve(problem, digits: 50, cache: cache)
            XCTAssertNotNil(cache.warmLogRoot)
            let fresh = try solver.solve(problem, digits: 50)
            XCTAssertEqual(warm.roots.count, 1)
            XCTAssertEqual(fresh.roots.count, 1)
            let a = warm.roots[0], b = fresh.roots[0]
            XCTAssertTrue(a.negatedChi.lower == b.negatedChi.lower && a.negatedChi.upper == b.negatedChi.upper, "L = \(depth)")
            XCTAssertTrue(a.overlap.lower == b.overlap.lower && a.overlap.upper == b.overlap.upper, "L = \(depth)")
            XCTAssertTrue(a.action.lower == b.action.lower && a.action.upper == b.action.upper, "L = \(depth)")
            XCTAssertEqual(a.overlapDecimal?.text, b.overlapDecimal?.text)
        }
        // After the run, L = 4: the thousand-digit reference of WhitenedReferenceTests rounded to 50 digits.
        let four = try solver.solve(WhitenedProblem(gamma: BigRational(1), beta: .finite(BigRational(10)), depth: 4), digits: 50, cache: cache)
        XCTAssertEqual(four.roots[0].overlapDecimal?.text, "2.9812401523853223622385735734114647249747422240793")
    }

    /// Eq. W11: every positive root lies below the analytic bound 2 g/(4b) (2 g for beta = inf), and
    /// E is positive there, as the single-root bracket assumes without evaluating it.
    func testRootsLieBelowTheAnalyticBound() throws {
        var generator = SeededGenerator(seed: 11)
        for trial in 0..<40 {
            let gamma = generator.rational(in: 1...400, maxDenominator: 5)
            let beta: InverseTemperature = trial % 4 == 0 ? .infinite : .finite(generator.rational(in: 1...40, maxDenominator: 9000))
            let problem = try WhitenedProblem(gamma: gamma, beta: beta, depth: Int.random(in: 1...30, using: &generator))
            let equations = WhitenedEquations(problem)
            let solution = try WhitenedOverlapSolver().solve(problem, digits: 20)
            for root in solution.roots { XCTAssertLessThan(root.negatedChi.upper, equations.rootUpperBound, "\(gamma) \(beta)") }
            XCTAssertEqual(equations.kernel.certifiedSign(at: equations.rootUpperBound, bits: 256), 1)
        }
    }

    /// The action by argument reduction (eq. W8'') against mpmath (S with mpmath's own log1p at
    /// 5150 digits; the references below are its first 1100 or 5100 digits): the enclosure at
    /// 1000 digits (and 5000 for the first case) contains the reference within its own last digit,
    /// its relative width is below 2^-(bits - 12), and it overlaps the plain series (W8').
    func testReducedActionContainsMpmathReference() throws {
        let cases: [(u: Dyadic, depth: Int, gamma: String, beta: String, reference: String)] = [
            (Dyadic(BigInt(17), exponent: -7), 16, "1", "10", WhitenedKernelTests.referenceA),
            (Dyadic(BigInt(3), exponent: -1), 2, "2", "1/3", WhitenedKernelTests.referenceB),
            (Dyadic(BigInt(1), exponent: -20), 1_000_000, "1", "10", WhitenedKernelTests.referenceC),
        ]
        for (index, entry) in cases.enumerated() {
            for digits in index == 0 ? [1000, 5000] : [1000] {
                let problem = try WhitenedProblem(gamma: BigRational(parsing: entry.gamma), beta: InverseTemperature(parsing: entry.beta), depth: entry.depth)
                let equations = WhitenedEquations(problem)
                let bits = CertifiedRefinement.digitBits(digits) + 8
                let u = Interval(entry.u, precision: bits + 64)
                let plan = WhitenedKernelEvaluator.ActionPlan(u: entry.u.doubleApproximation, relativeBits: bits + 4)
                XCTAssertTrue(plan.reductions > 0 || plan.terms > WhitenedKernelEvaluator.ActionPlan.seriesTerms,
                              "case \(index): the reduced path is used at \(digits) digits")
                let overlap = equations.kernel.overlap(u)
                let action = try XCTUnwrap(equations.kernel.action(u, overlap: overlap, relativeBits: bits))
                // The reference r, read to n digits, lies within 10^-(n-2) r of the exact value.
                let text = String(entry.reference.prefix(digits + 60))
                let reference = try BigRational(parsing: text)
                let slack = reference * (try BigRational(parsing: "1e-\(digits + 55)"))
                XCTAssertLessThanOrEqual(action.lower.rational, reference + slack, "case \(index) at \(digits) digits")
                XCTAssertGreaterThanOrEqual(action.upper.rational, reference - slack, "case \(index) at \(digits) digits")
                XCTAssertLessThan(action.log2RelativeWidth, Double(-(bits - 12)), "case \(index) at \(digits) digits")
                if digits == 1000, let series = equations.kernel.action(u, overlap: overlap, relativeBits: bits, reduction: false) {
                    XCTAssertLessThanOrEqual(series.lower, action.upper, "case \(index)")
                    XCTAssertLessThanOrEqual(action.lower, series.upper, "case \(index)")
                }
            }
        }
    }

    // mpmath: S = (L/2)(u - log1p(u)) + g/(2((1+u)^L + b)) at mp.dps = 5150.
    static let referenceA = "0.131949504844558099382974117856235045643251935901363402936304097629994849522657548137742032574638017148427030820302240387223307333846678152197155040562367404999872692080819856717362473839037470910607366476329999607261196104583667626824988532623199871048008360803495155501199083703409415569001335674958198547017400828204764117413960728882819721949675239215059491442544161811278408054415452096277414958021546394280349175485042607079961372672632769411392903373880029773181921853932656348707593754341790241911889331764399513048417748732906563076710168085231506214364207610132262724584273325416936981342148775201444104955372824868357073513276049624075839896192321856302193966189599376600011501215513259927418270491841829345281578734998066451251407061580481652496175028437515420075462196930627038157972329278528224143880314143165860373214816570565198682460241694051634128751273578287007472906837186802406689851719051959474901611983231691522844485759944070667875941147330266560078527476560130403692784399397173575473263916692740232632158466652288905649365220684099677849574740157349176849017906189315350273614288904173458898585595300246512886475546991445531140252098411525834078807813499064363418726953437352453895617893939221204692006289071322957183979777054726504053431130878895512781683373842223002163808503692392329757532475095377636631411473433103993026694936097041050340567977337062339657128637791347387915801517499787901679723871597054068293341650215533702912558071353339194865234239627642227805997194534164115574299166624312550919093038563325386461720034085273851829433747133944471644697270219759925508597160781788579636130875476640611738708215406191555860122547285183405420088538887427866867330199490772183322645533502382415739984109168244763590322540260769090610726456387860355242929496535955880699228675381810095995396374011741790155599497569438034240666832250616296855844430143196233576514846522911515382219162033317078756751039424158167912912219365849756731532854375235966666712365249139451534712976937148836993932031802373669320606108462530813959456533723393407442256264825714350474000122539205355043414019535858761634396906259739476964780660243964879564958595626736892004722168262225483822830938661064378642225178341280625643476960878559955389346186928152083923560728296361699658620340893445183970646019399980247506036427653349932783837374217124646087652973853089219783295213287193948942551849551284349956274970688927921564015433415897902966464859749842724940138841775921804210458475849758219195687647797620441821593203069340099152850550957473380390395431472311130698664483039634988891719223761226074808690822881495377970986904630292248504966711298914455811726892752345910359072577736034026323686200701370740716879030576982866900565848814466616953052875652381587365967726168924770145444852319694312579094767017914188000425730650550501526879576767502932676622947204811353448892564489446843662185746069741469858210922115438073876825797649741220991731012648235369267071912222026403112876338998579515564660457521172849284489874702977373762000438698150026974006709932256061994077863795039770764957906597268187793654844554508934846404222225066478802988849456535631447489425683022777673376277650037312105254736261652619635144757781515336872617704362997949991065598492344186574164213764278764478315242590038425852577050576913094558907585530471302064143292260941163624992127098524347197348591989500324260649720847880866559402065717239268113711821210825091551973718185902425140765471131913759523583657733041037658459957384753394690545376432327340472563462299787586129643479410175632422313056280086063971045365665910738222957089086679041787271629937637993507758239538552674949005688342706982933900873554427459767284497118890297854787913334574301289606010657149867869336176657379080742831002567365631351784376722101081670680693089277074572502613001175085302534817368585390583719450595576593955513376858869247932777577505655031779645629194253735315982796435565690998978470981463080271926198437988820279374974315358327919362992846666050470066650618404368124721974144879318836120865886202496492761919142284644014258713959834671803305822509869213652780392063267506668738932770975108319533847159684552655344319404208910497592252044778181457603388757958556237459622886916668531410814224843483438897292183583166515934361429685652814868884975213850085834735010730936602014760220839551521034918418406708811712385089376392046977815486066216208396921490040089713334108691942319353752014865903805475557735794852349399984629566627276930960183048110988081943895926115589286838803825671822730656412778009900420317090521397212667305567677264087057116251269086053518899222165893665381883106710211812434759389912740154200941992152817026435075009580099764980950692524418984199401476732537902282065718970047757939513392234938733687476254338899107873846344217789080129581654798713543034546492717613852513600887419781436064458339736494500050449806720149098737077349554656033803620422635443177068350426749354421287081095175956627949762158928893729056712571971364506252646702980713940019072028521595573117859671311024911475302481"
    static let referenceB = "0.79992548434206115103268900444820514476611499630795374842424833423543085047825316719194566511945529295825139421507133905017773122264967057361527035038758645059476414954740440575303039863776636463006941113797983439406561100319535707838212664051914082779357787384786525182001518658503321491244172008159197527304301973574909829454543708512183093694978811878829310677939637938555623548472341663381410742609304583369073621339358245454825158204795307186854450650341087030504693723110425718001213721704113432941487928990418002531889294289924226487128314585139500252849425456720759689302788741152557311710693793933536886398415439839380948362070377626344747767774856861917188261318654987000330761093072954749562696479462735864726709619603473173651955725494639940590476284519299512096260191669992737273320719429330420149232422477347947338282111686197421875362501552301773287713943782187544224806253030379589486258700589898521541498301578973221968248303850605022814614314804624292409816784955650450862346523828787095182745449533083499848779964130405703970329635022177974975331080673324203076456733151037937141470"
    static let referenceC = "0.18551338124411022951482343827639980349804514624234884261978209670431187992737684081939656310856512091534527163390620943272966841228979898761260001278976737394095537198278749169411938365604903895389531685425134950402465036924768300583041292325400448238963088873440894272235403736167492301273494645964023233938569840787709246298523613114846444047582339288239126145146496459259280178281177261524813450914582084428446196336802678548661394146387237181685308631846546603196371201725303095437215929726116093194927516964887006862234722217583639317257849483422151625235751947351615588838611755512063346223578798886018474244260268871251571560469366425135879769799704711151577093446333250220770585384772873597535571816091447156484068055266952767519994561692185438150184977437267840019325079546913604830025534557414119285341868578009746138619339773959294947311370038939351116735180140996798732192571989557533194129637368158855041453961809734061600835733542290503907942487655250093720809243023139780061650557039348149676484836026823695762183711882857293132100636624832514763839364961806922031453596521872132905551"
}
