// Package cube holds the encrypted statistics of a registry and evaluates
// aggregate queries (query.Plan) on them under threshold homomorphic
// encryption (package thhe, BGV).
//
// A registry's schema declares cubes (registry.Statistics): named lists of
// axes (dimensions, binned measures). For each cube every node keeps one or
// a few BGV ciphertexts whose slots hold, for every cell of the cube, the
// number of records in it and the sums of every measure of those records,
// encrypted under the federation's collective key. Nobody decrypts a cube;
// a query result is computed from it homomorphically, key-switched to the
// querier by a threshold of nodes, and decrypted by the querier only.
//
// # Roles and API
//
//   - Custodian (ingest side): NewAccumulator, Accumulator.Add(record, ±1)
//     for every record added, superseded or deleted in a batch, then
//     Accumulator.Encrypt → *Delta. Delta.MarshalBinary is what is sent,
//     Delta.Digest what the custodian signs.
//   - Node: DecodeDelta, NewState / DecodeState, State.Fold(delta),
//     State.MarshalBinary for persistence; for a query, State.Cube and
//     Evaluate → *Result, Result.Rerandomize for a fresh attempt, then the
//     thhe key switch of each result ciphertext.
//   - Querier (service side): NewResultLayout from the schema and the plan
//     (never taken from a node), thhe.Decrypt of each switched ciphertext,
//     Decode → []query.Cell.
//   - EvaluatePlain is the plaintext reference the tests check Evaluate and
//     Decode against.
//
// # Layout
//
// For a cube c and a slot count N (thhe.Params.Slots()), the axes are,
// innermost first: the entries axis — the row count, then every measure of
// the registry in Statistics.Measures order, each as Measure.Limbs()
// entries (limb 0 = least significant registry.LimbBits = 12 bits) — then
// c.Axes in declared order (a dimension has len(Buckets) coordinates, a
// binned measure len(Edges)). Each axis is padded to a power of two; the
// slot index of a cell entry is Σ coordinate·stride (stride = product of
// the padded sizes of the inner axes). The cube has S = Π padded sizes
// slots and takes ceil(S/N) ciphertexts: global index j lives in ciphertext
// j/N, slot j%N (S ≤ N, or S a multiple of N). Padding coordinates and
// slots past S are always zero. NewLayouts gives the layouts; every delta
// and state carries a fingerprint of them (and of the schema's statistics
// declaration), so bytes made for another schema version are refused.
//
// lattigo's BGV slots form a 2 × N/2 matrix: global index bits 0..log N-2
// are the column, bit log N-1 the row, the bits above the ciphertext index.
//
// # Accumulation
//
// Add puts a record's contribution at its cell in every cube: count +=
// sign, each limb entry += sign·limb (plain int64 cells, no allocation;
// ≈ 100–200 ns per record, i.e. 5–10 M records/s per core). It reads the
// statistics fields itself (decimal ints, the year of a date, enum and
// country buckets) and refuses a record whose fields do not parse or lie
// outside the measure's bits (wrapping registry.ErrInvalidRow), changing
// nothing. Encrypt encrypts every ciphertext of every cube, all-zero ones
// included, with cell values reduced mod T (a batch may remove more than it
// adds to a cell).
//
// # Deltas and state
//
// Wire format: "ECUB" | version | kind | thhe params ID | layouts ID |
// registry | (state: fold count) | per cube: name, ciphertext count, per
// ciphertext its thhe.EncodeCiphertext bytes with their length. The decoder
// derives every count and length from the schema and parameters, checks
// each, and accepts only top-level ciphertexts with the default scale; it
// never panics (fuzzed: FuzzDecodeDelta, FuzzDecodeState). Delta.Digest is
// SHA-256 over "embassy/cube/delta/v1\x00" and the encoding.
//
// State.Fold adds a delta's ciphertexts coefficient-wise mod q: addition
// commutes exactly, so nodes that folded the same set of deltas in any
// order hold byte-identical states (tested). At most MaxFolds = 2^20
// deltas are folded (the noise analysis below); a state made from scratch
// (re-encrypted snapshot) resets that count.
//
// # Evaluation
//
// Evaluate(ev, layout, plan, cts), for each pass (one, or one per output
// bin of a merging histogram):
//
//	(a) select: multiply each cube ciphertext by a 0/1 plaintext mask that
//	    keeps the slots whose coordinates pass plan.Filter, lie within the
//	    real (unpadded) buckets and bins, lie in the pass's histogram bins,
//	    and whose entry is the count or a limb of a measure in plan.Sums —
//	    a measure the query does not sum is never released — then rescale
//	    (level 3 → 2);
//	(b) sum every axis that is not kept (kept: the entries axis, the GROUP
//	    BY axis, and the histogram axis when every output bin is one
//	    declared bin) bit by bit: index bits at or above log N by adding
//	    ciphertexts, the row bit by the row swap, column bits by a column
//	    rotation by 2^bit and an addition. A slot whose summed coordinates
//	    are all 0 ends up holding the sum over them; other slots hold
//	    partial sums of other cells;
//	(c) select the results: multiply by a 0/1 mask that keeps only the
//	    result slots (summed coordinates 0, wanted entries, real groups,
//	    the kept histogram bins), then rescale (level 2 → 1). No partial
//	    sum leaves the node;
//	(d) level 1 = thhe.MinKeySwitchLevel, two 55/56-bit primes: 512 KiB per
//	    result ciphertext at N = 2^14.
//
// A histogram whose output bins merge several declared bins takes one pass
// per output bin, the mask (a) of pass i keeping only output bin i's run of
// declared bins and the histogram axis being summed: cost and result size
// are multiplied by the number of output bins. Cost of one pass: one
// plaintext product per cube ciphertext, one rotation per summed column
// bit (plus the row swap), one plaintext product per result ciphertext.
// Only the Galois keys of thhe.InnerSumGaloisElements are needed. Evaluate
// is deterministic: identical inputs give byte-identical results on every
// node (tested), and its work depends on the plan and layout only.
//
// Result.Rerandomize adds to each result ciphertext an encryption of zero
// drawn from a PRNG keyed by a seed (per ciphertext: SHA-256 of the seed
// and its index): nodes that agree on a (query, attempt) seed get
// identical fresh ciphertexts, so a failover can key-switch anew without
// any node releasing two shares of one ciphertext. It hides nothing from
// whoever knows the seed.
//
// Figures at thhe.ProductionParams (N = 2^14, one core of a shared Xeon):
// a cube ciphertext is 1 MiB; a batch delta is 1 MiB (population), 2 MiB
// (land), 4 MiB (business), encrypted in ≈ 14 ms per ciphertext; Evaluate
// takes ≈ 66 ms for population "COUNT, SUM(birth_year) GROUP BY county"
// (9 summed bits), ≈ 69 ms for a land SUM(area_m2) filtered on county and
// purpose (10 summed bits), ≈ 270 ms for a population histogram of 3 merged
// output bins (3 passes, 3 result ciphertexts); Rerandomize ≈ 10 ms per
// ciphertext.
//
// # Noise
//
// Measured at ProductionParams after Evaluate (16 folded deltas, realistic
// and uniformly random slot values): the result noise is 2^8.0–2^8.3
// (lattigo BGV units, decryption fails past Q_1/2T ≈ 2^75). It is the
// rounding of the last rescale: mask (a) multiplies the folded noise F by
// ≈ T·√N ≈ 2^42 and its rescale divides by 2^55; the sums add ≤ 14 bits;
// mask (c) multiplies by 2^42 again and its rescale divides by 2^55. The
// bound 2^12 used to size thhe.DefaultFloodBound = 2^60 holds while F ≲
// 2^21, i.e. for up to MaxFolds deltas (fresh noise ≈ 2^8, independent
// across deltas). TestResultNoise and BenchmarkEvaluate check the bound.
//
// # Decoding
//
// Decode reads the result slots as unsigned values mod T (totals are never
// negative), rebuilds each sum from its limb sums with math/big, and
// returns one query.Cell per GROUP BY bucket (in bucket order; Group -1
// without GROUP BY) and histogram output bin (Bin -1 without), zero counts
// included. It refuses (ErrCorrupt) a non-zero slot outside the result
// slots or a limb sum above count·(2^12-1), and (ErrOutOfRange) a cell of
// MaxExactRows = floor((T-1)/4095) ≈ 8.4 M rows or more when sums are
// asked for: its limb sums could have wrapped mod T. Counts alone are exact
// up to T-1.
//
// # What is revealed
//
//   - To nodes and anyone holding deltas or states: nothing about the
//     records (RLWE, under the collective key no coalition below the
//     threshold holds). A delta's shape depends on the schema only, so what
//     is visible is the number of deltas (batches) and, from the ingest
//     around it, their sizes. Evaluation is on ciphertexts only.
//   - To the querier, per output cell (group × histogram bin): the row
//     count and, for each measure in plan.Sums, its limb sums Σ limb_l over
//     the selected rows — slightly more than the sum itself (e.g. the sum
//     of the values mod 4096). Nothing of other cells (mask (c)), of other
//     measures (mask (a)), or of the declared bins a merging histogram
//     merges. The result noise is hidden by the key-switch flooding
//     (statistical distance ≈ 2^-40 per coefficient against the bound, see
//     thhe/doc.go, including the open caveat on lattigo's sampler).
//   - Not covered here: who may ask what, small-cell suppression or
//     differential privacy, and counting how often a node key-switches.
package cube
