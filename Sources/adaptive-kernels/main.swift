import LinearTheory
import Numerics
import Foundation
let cases: [(String, String, Int)] = [("1","10",1),("1","10",4),("4","10",16),("1","100",1000),("316","1/10000",10),("1","inf",5),("1e-20","10",3), ("1e50","10",3)]
for (g, b, l) in cases {
  let t0 = Date()
  do {
    let p = try WhitenedProblem(gamma: BigRational(parsing: g), beta: InverseTemperature(parsing: b), depth: l)
    let sol = try WhitenedOverlapSolver().solve(p, digits: 40)
    print(g, b, l, sol.isolation, String(format: "%.4fs", Date().timeIntervalSince(t0)))
    for r in sol.roots {
      print("  c=", r.overlap.certifiedDecimal(significantDigits: 40)?.text ?? "nil", "S=", r.action.certifiedDecimal(significantDigits: 20)?.text ?? "nil", r.stationarity, r.isDominant)
    }
  } catch { print("ERR", error) }
}
