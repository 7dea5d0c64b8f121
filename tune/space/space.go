package space

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// Type is a parameter's type, as Katib's parameterType names it.
type Type string

const (
	Int         Type = "int"
	Double      Type = "double"
	Categorical Type = "categorical"
	Discrete    Type = "discrete" // a categorical whose values are numbers
)

// Distribution is the prior of a numeric parameter. Empty means Uniform.
type Distribution string

const (
	Uniform    Distribution = "uniform"
	LogUniform Distribution = "logUniform"
	Normal     Distribution = "normal"    // truncated to [min, max]; μ = (min+max)/2, σ = (max−min)/6
	LogNormal  Distribution = "logNormal" // the same in log space
)

// Limits on a declared space, so that hostile input stays cheap to handle.
const (
	MaxParameters = 1000
	MaxListLen    = 10000
	MaxNameLen    = 256
	MaxValueLen   = 1024
	maxGridPoints = 1 << 53 // values of one stepped parameter
)

// Parameter is one parameter as an experiment declares it (Katib's
// spec.parameters[] entry). Numbers are strings, as in Katib's YAML.
type Parameter struct {
	Name         string
	Type         Type
	Min          string
	Max          string
	Step         string
	List         []string
	Distribution Distribution
}

// ParameterValue is one parameter's value in a trial (Katib's
// parameterAssignments[] entry).
type ParameterValue struct {
	Name  string
	Value string
}

// Assignment is a trial's parameter values, in the space's parameter order.
type Assignment []ParameterValue

// Point holds one internal coordinate per parameter of a Space: the value
// (numbers), its logarithm (log distributions) or the index of the choice
// (categorical, discrete).
type Point []float64

// Space is a validated search space. It is immutable and safe for
// concurrent use.
type Space struct {
	params []*Param
	index  map[string]int
}

// Param is one validated parameter.
type Param struct {
	decl  Parameter
	field string // "parameters[i]"
	log   bool

	minF, maxF float64 // declared bounds (numeric)
	lo, hi     float64 // internal bounds of the feasible values
	wlo, whi   float64 // widened by half a grid gap at each end (discrete numerics)
	mu, sigma  float64 // the normal prior in internal space (normal, logNormal)

	n           int64    // number of values: grid points or choices; 0 = continuous
	imin, istep int64    // int grid
	rmin, rstep *big.Rat // stepped double grid
}

// New validates params and returns the space. Errors are *FieldError naming
// the field, e.g. "parameters[0].feasibleSpace.min".
func New(params []Parameter) (*Space, error) {
	if len(params) == 0 {
		return nil, Invalid("parameters", "at least one parameter is required")
	}
	if len(params) > MaxParameters {
		return nil, Invalid("parameters", fmt.Sprintf("at most %d parameters are supported, got %d", MaxParameters, len(params)))
	}
	s := &Space{params: make([]*Param, len(params)), index: make(map[string]int, len(params))}
	seen := s.index
	for i, d := range params {
		field := fmt.Sprintf("parameters[%d]", i)
		if d.Name == "" {
			return nil, Invalid(field+".name", "is required")
		}
		if len(d.Name) > MaxNameLen {
			return nil, Invalid(field+".name", fmt.Sprintf("must be at most %d bytes", MaxNameLen))
		}
		if j, dup := seen[d.Name]; dup {
			return nil, Invalid(field+".name", fmt.Sprintf("duplicate parameter name %q (also parameters[%d])", d.Name, j))
		}
		seen[d.Name] = i
		p, err := newParam(d, field)
		if err != nil {
			return nil, err
		}
		s.params[i] = p
	}
	return s, nil
}

func newParam(d Parameter, field string) (*Param, error) {
	fs := field + ".feasibleSpace"
	p := &Param{decl: d, field: field}
	if p.decl.Distribution == "" {
		p.decl.Distribution = Uniform
	}
	switch p.decl.Distribution {
	case Uniform, LogUniform, Normal, LogNormal:
	default:
		return nil, Invalid(fs+".distribution", fmt.Sprintf("must be uniform, logUniform, normal or logNormal, got %q", d.Distribution))
	}
	switch d.Type {
	case Int, Double:
		return p, p.initNumeric(fs)
	case Categorical, Discrete:
		return p, p.initList(fs)
	case "":
		return nil, Invalid(field+".parameterType", "is required (int, double, categorical or discrete)")
	default:
		return nil, Invalid(field+".parameterType", fmt.Sprintf("must be int, double, categorical or discrete, got %q", d.Type))
	}
}

func (p *Param) initList(fs string) error {
	d := p.decl
	if d.Distribution != Uniform {
		return Invalid(fs+".distribution", fmt.Sprintf("does not apply to a %s parameter, got %q", d.Type, d.Distribution))
	}
	for _, f := range [...]struct{ name, v string }{{"min", d.Min}, {"max", d.Max}, {"step", d.Step}} {
		if f.v != "" {
			return Invalid(fs+"."+f.name, fmt.Sprintf("must be empty for a %s parameter (use list)", d.Type))
		}
	}
	if len(d.List) == 0 {
		return Invalid(fs+".list", fmt.Sprintf("is required for a %s parameter", d.Type))
	}
	if len(d.List) > MaxListLen {
		return Invalid(fs+".list", fmt.Sprintf("must have at most %d values, got %d", MaxListLen, len(d.List)))
	}
	seen := make(map[string]int, len(d.List))
	for j, v := range d.List {
		f := fmt.Sprintf("%s.list[%d]", fs, j)
		if v == "" {
			return Invalid(f, "must not be empty")
		}
		if len(v) > MaxValueLen {
			return Invalid(f, fmt.Sprintf("must be at most %d bytes", MaxValueLen))
		}
		if strings.IndexByte(v, 0) >= 0 {
			// No process can be given it (argv and environment are
			// NUL-terminated), and PostgreSQL cannot store it.
			return Invalid(f, fmt.Sprintf("%q holds a NUL character", v))
		}
		if k, dup := seen[v]; dup {
			return Invalid(f, fmt.Sprintf("duplicate value %q (also list[%d])", v, k))
		}
		seen[v] = j
		if d.Type == Discrete {
			if _, _, err := parseDecimal(v); err != nil {
				return Invalid(f, "a discrete value "+err.Error())
			}
		}
	}
	p.n = int64(len(d.List))
	p.lo, p.hi = 0, float64(p.n-1)
	p.wlo, p.whi = -0.5, float64(p.n)-0.5
	return nil
}

func (p *Param) initNumeric(fs string) error {
	d := p.decl
	if len(d.List) > 0 {
		return Invalid(fs+".list", fmt.Sprintf("must be empty for a %s parameter (use min and max)", d.Type))
	}
	if d.Min == "" {
		return Invalid(fs+".min", fmt.Sprintf("is required for a %s parameter", d.Type))
	}
	if d.Max == "" {
		return Invalid(fs+".max", fmt.Sprintf("is required for a %s parameter", d.Type))
	}
	minF, minR, err := p.parseBound(fs+".min", d.Min)
	if err != nil {
		return err
	}
	maxF, maxR, err := p.parseBound(fs+".max", d.Max)
	if err != nil {
		return err
	}
	if maxR.Cmp(minR) <= 0 {
		return Invalid(fs+".max", fmt.Sprintf("must be greater than min (%s), got %q", d.Min, d.Max))
	}
	if math.IsInf(maxF-minF, 0) {
		return Invalid(fs+".max", "max − min must be a finite number")
	}
	p.log = d.Distribution == LogUniform || d.Distribution == LogNormal
	if p.log && minR.Sign() <= 0 {
		return Invalid(fs+".min", fmt.Sprintf("must be greater than 0 for a %s distribution, got %q", d.Distribution, d.Min))
	}
	p.minF, p.maxF = minF, maxF
	span := new(big.Rat).Sub(maxR, minR)
	switch {
	case d.Step != "":
		stepF, stepR, err := p.parseBound(fs+".step", d.Step)
		if err != nil {
			return err
		}
		if stepR.Sign() <= 0 {
			return Invalid(fs+".step", fmt.Sprintf("must be greater than 0, got %q", d.Step))
		}
		if stepR.Cmp(span) > 0 {
			return Invalid(fs+".step", fmt.Sprintf("must not exceed max − min (%s), got %q", ratString(span), d.Step))
		}
		q := new(big.Rat).Quo(span, stepR)
		k := new(big.Int).Quo(q.Num(), q.Denom()) // floor: q > 0
		if !k.IsInt64() || k.Int64() >= maxGridPoints-1 {
			return Invalid(fs+".step", fmt.Sprintf("is too small: more than 2^53 values between min and max, got %q", d.Step))
		}
		p.n = k.Int64() + 1
		if d.Type == Int {
			p.imin, p.istep = int64(minF), int64(stepF)
		} else {
			p.rmin, p.rstep = minR, stepR
		}
	case d.Type == Int:
		p.imin, p.istep = int64(minF), 1
		p.n = int64(maxF) - int64(minF) + 1
	}
	if p.n > 0 {
		p.lo, p.hi = p.GridValue(0), p.GridValue(p.n-1)
		g0 := p.GridValue(1) - p.lo
		g1 := p.hi - p.GridValue(p.n-2)
		p.wlo, p.whi = p.lo-g0/2, p.hi+g1/2
	} else {
		p.lo, p.hi = p.internal(minF), p.internal(maxF)
		p.wlo, p.whi = p.lo, p.hi
	}
	if d.Distribution == Normal || d.Distribution == LogNormal {
		p.mu, p.sigma = (p.lo+p.hi)/2, (p.hi-p.lo)/6
	}
	return nil
}

func (p *Param) parseBound(field, s string) (float64, *big.Rat, error) {
	f, r, err := parseDecimal(s)
	if err != nil {
		return 0, nil, Invalid(field, err.Error())
	}
	if p.decl.Type == Int {
		if !r.IsInt() {
			return 0, nil, Invalid(field, fmt.Sprintf("must be an integer for an int parameter, got %q", s))
		}
		if math.Abs(f) > 1<<53 {
			return 0, nil, Invalid(field, fmt.Sprintf("must be within ±2^53, got %q", s))
		}
	}
	return f, r, nil
}

func ratString(r *big.Rat) string { return FormatFloat(ratFloat(r)) }

// internal maps a declared value to its internal coordinate.
func (p *Param) internal(v float64) float64 {
	if p.log {
		return math.Log(v)
	}
	return v
}

// external maps an internal coordinate to a value.
func (p *Param) external(x float64) float64 {
	if p.log {
		return math.Exp(x)
	}
	return x
}

// Len is the number of parameters.
func (s *Space) Len() int { return len(s.params) }

// Param returns the i-th parameter, in declared order.
func (s *Space) Param(i int) *Param { return s.params[i] }

// Index returns the position of the parameter called name, or -1.
func (s *Space) Index(name string) int {
	if i, ok := s.index[name]; ok {
		return i
	}
	return -1
}

// Size is the number of distinct points when every parameter takes finitely
// many values; ok is false when a parameter is continuous or the product
// exceeds 2^62.
func (s *Space) Size() (n int64, ok bool) {
	n = 1
	for _, p := range s.params {
		if p.n == 0 {
			return 0, false
		}
		if n > (1<<62)/p.n {
			return 0, false
		}
		n *= p.n
	}
	return n, true
}

// Name is the parameter's name.
func (p *Param) Name() string { return p.decl.Name }

// Field is the parameter's place in the spec, "parameters[i]".
func (p *Param) Field() string { return p.field }

// Declared returns the parameter as declared (distribution defaulted).
func (p *Param) Declared() Parameter { return p.decl }

// Type is the parameter's type.
func (p *Param) Type() Type { return p.decl.Type }

// Distribution is the parameter's prior.
func (p *Param) Distribution() Distribution { return p.decl.Distribution }

// IsChoice reports a categorical or discrete parameter, whose coordinate is
// the index of its value in the list.
func (p *Param) IsChoice() bool { return p.decl.Type == Categorical || p.decl.Type == Discrete }

// IsLog reports a numeric parameter whose coordinate is the log of its value.
func (p *Param) IsLog() bool { return p.log }

// Size is the number of values the parameter takes: choices, or points of
// an int or stepped grid; 0 for a continuous double.
func (p *Param) Size() int64 { return p.n }

// Bounds are the smallest and largest coordinates of feasible values.
func (p *Param) Bounds() (lo, hi float64) { return p.lo, p.hi }

// Widened are Bounds extended by half a grid gap at each end for
// parameters with finitely many values (so that rounding a continuous
// coordinate drawn from the widened range gives every value its share);
// Bounds for a continuous double.
func (p *Param) Widened() (lo, hi float64) { return p.wlo, p.whi }

// Normal returns the declared normal prior in internal coordinates (ok is
// false for other distributions).
func (p *Param) Normal() (mu, sigma float64, ok bool) {
	return p.mu, p.sigma, p.decl.Distribution == Normal || p.decl.Distribution == LogNormal
}

// GridValue is the coordinate of the k-th value (0 ≤ k < Size()).
func (p *Param) GridValue(k int64) float64 {
	switch {
	case p.IsChoice():
		return float64(k)
	case p.rstep != nil:
		return p.internal(ratFloat(p.gridRat(k)))
	default:
		return p.internal(float64(p.imin + k*p.istep))
	}
}

func (p *Param) gridRat(k int64) *big.Rat {
	r := new(big.Rat).SetInt64(k)
	r.Mul(r, p.rstep)
	return r.Add(r, p.rmin)
}

// GridIndex is the index of the value nearest to coordinate x (Size() > 0).
func (p *Param) GridIndex(x float64) int64 {
	var k float64
	switch {
	case p.IsChoice():
		k = math.Round(x)
	case p.rstep != nil:
		k = math.Round((p.external(x) - p.minF) / ratFloat(p.rstep))
	default:
		k = math.Round((p.external(x) - float64(p.imin)) / float64(p.istep))
	}
	switch {
	case math.IsNaN(k) || k < 0:
		return 0
	case k > float64(p.n-1):
		return p.n - 1
	}
	return int64(k)
}

// Snap returns the coordinate of the feasible value nearest to x.
func (p *Param) Snap(x float64) float64 {
	if p.n > 0 {
		return p.GridValue(p.GridIndex(x))
	}
	if math.IsNaN(x) {
		return (p.lo + p.hi) / 2
	}
	return math.Min(math.Max(x, p.lo), p.hi)
}

// FromUnit maps u in [0, 1] onto the parameter: linearly onto the widened
// range (in log space for log distributions), then snapped. Every value of
// an int, stepped or categorical parameter gets an equal share of [0, 1).
func (p *Param) FromUnit(u float64) float64 {
	return p.Snap(p.wlo + u*(p.whi-p.wlo))
}

// ToUnit is the inverse of FromUnit for a feasible coordinate.
func (p *Param) ToUnit(x float64) float64 {
	return (x - p.wlo) / (p.whi - p.wlo)
}

// Format writes the value at coordinate x (snapped first) as a trial gets
// it: an int in base 10, a stepped double as min + k·step computed exactly,
// a double as the shortest decimal that reads back the same, a choice as
// written in the list.
func (p *Param) Format(x float64) string {
	switch {
	case p.IsChoice():
		return p.decl.List[p.GridIndex(x)]
	case p.rstep != nil:
		return FormatFloat(ratFloat(p.gridRat(p.GridIndex(x))))
	case p.n > 0:
		return strconv.FormatInt(p.imin+p.GridIndex(x)*p.istep, 10)
	}
	v := math.Min(math.Max(p.external(p.Snap(x)), p.minF), p.maxF)
	if p.log {
		v = math.Min(math.Max(stableExpLog(v), p.minF), p.maxF)
	}
	return FormatFloat(v)
}

// stableExpLog is a value of a log parameter that reads back to itself:
// its coordinate is log(v), and exp(log(v)) need not be v to the last bit,
// so v written and read back could format one digit apart. It follows
// v → exp(log(v)) to the cycle the values enter (almost always at once, a
// single value) and returns the cycle's least value; the value a parsed
// coordinate formats to is on the same cycle, so it gives the same.
func stableExpLog(v float64) float64 {
	seen := []float64{v}
	for range 16 {
		next := math.Exp(math.Log(seen[len(seen)-1]))
		for i, s := range seen {
			if s == next {
				least := s
				for _, c := range seen[i:] {
					least = math.Min(least, c)
				}
				return least
			}
		}
		seen = append(seen, next)
	}
	return seen[len(seen)-1]
}

// Parse reads a value written by Format (or by hand) back to its
// coordinate. Numbers outside the feasible space are snapped into it; a
// choice must be in the list.
func (p *Param) Parse(s string) (float64, error) {
	if p.IsChoice() {
		for i, v := range p.decl.List {
			if v == s {
				return float64(i), nil
			}
		}
		return 0, fmt.Errorf("parameter %q: value %q is not in its list", p.decl.Name, s)
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, fmt.Errorf("parameter %q: value %q is not a finite number", p.decl.Name, s)
	}
	if p.log {
		if v <= 0 {
			return 0, fmt.Errorf("parameter %q: value %q is not positive (log distribution)", p.decl.Name, s)
		}
		v = math.Log(v)
	}
	return p.Snap(v), nil
}

// Format writes a point as an assignment, in the space's parameter order.
func (s *Space) Format(pt Point) Assignment {
	a := make(Assignment, len(s.params))
	for i, p := range s.params {
		a[i] = ParameterValue{Name: p.decl.Name, Value: p.Format(pt[i])}
	}
	return a
}

// Parse reads an assignment (in any order) back to a point. Every parameter
// must be assigned exactly once and no other name may appear.
func (s *Space) Parse(a Assignment) (Point, error) {
	pt := make(Point, len(s.params))
	set := make([]bool, len(s.params))
	for _, v := range a {
		i := s.Index(v.Name)
		if i < 0 {
			return nil, fmt.Errorf("parameter %q is not in the search space", v.Name)
		}
		if set[i] {
			return nil, fmt.Errorf("parameter %q is assigned twice", v.Name)
		}
		x, err := s.params[i].Parse(v.Value)
		if err != nil {
			return nil, err
		}
		pt[i], set[i] = x, true
	}
	for i, ok := range set {
		if !ok {
			return nil, fmt.Errorf("parameter %q is not assigned", s.params[i].decl.Name)
		}
	}
	return pt, nil
}

// Key is a canonical string of the point's formatted values: two points
// with the same key give trials the same assignment.
func (s *Space) Key(pt Point) string {
	var b strings.Builder
	for i, p := range s.params {
		if i > 0 {
			b.WriteByte(0)
		}
		b.WriteString(p.Format(pt[i]))
	}
	return b.String()
}
