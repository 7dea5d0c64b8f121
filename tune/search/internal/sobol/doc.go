// Package sobol generates Sobol' low-discrepancy sequences (Bratley & Fox,
// ACM TOMS Algorithm 659, with the Gray-code construction) in any number of
// dimensions, 32 bits per coordinate.
//
// Direction numbers are computed here, not read from a table: dimension j
// (j ≥ 1) uses the j-th primitive polynomial over GF(2) in increasing order
// of degree and coefficients (the order of Joe and Kuo's tables: x+1,
// x²+x+1, x³+x+1, x³+x²+1, …), and its initial direction numbers m_k (odd,
// below 2^k) are chosen, among a few seeded candidates, to spread the first
// 64 points of its two-dimensional projections with the dimensions before
// it. The first dimension is the van der Corput sequence. The sequence is a
// fixed function of the dimension count: it never changes between runs.
package sobol
