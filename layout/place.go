package layout

import (
	"cmp"
	"math"
	"slices"
)

// place gives every vertex its x (centre) and every layer its y.
func (l *level) place() {
	l.x = make([]float64, len(l.w))
	for _, ly := range l.layers {
		for i, v := range ly {
			if i == 0 {
				l.x[v] = l.w[v] / 2
			} else {
				l.x[v] = l.x[ly[i-1]] + l.sep(ly[i-1], v)
			}
		}
	}
	nl := len(l.layers)
	passes := 8
	if len(l.w) > 4000 {
		passes = 3
	}
	for range passes {
		for r := 1; r < nl; r++ {
			l.align(r, true, false)
		}
		for r := nl - 2; r >= 0; r-- {
			l.align(r, false, true)
		}
	}
	for r := range nl {
		l.align(r, true, true)
	}
	minX, maxX := math.Inf(1), math.Inf(-1)
	for v := range l.w {
		minX = min(minX, l.x[v]-l.w[v]/2)
		maxX = max(maxX, l.x[v]+l.w[v]/2)
	}
	for v := range l.x {
		l.x[v] -= minX
	}
	l.width = maxX - minX

	l.layerTop = make([]float64, nl)
	l.layerH = make([]float64, nl)
	for v := range l.n {
		l.layerH[l.rank[v]] = max(l.layerH[l.rank[v]], l.h[v])
	}
	y := 0.0
	for r := range nl {
		if r > 0 {
			y += l.gapAbove(r)
		}
		l.layerTop[r] = y
		y += l.layerH[r]
	}
	l.height = y
	// Within its layer a box is centred, but one that only feeds others
	// sits at the bottom (next to them), and one that only takes at the
	// top.
	l.dy = make([]float64, l.n)
	for v := range l.n {
		slack := l.layerH[l.rank[v]] - l.h[v]
		switch in, out := len(l.up[v]) > 0, len(l.down[v]) > 0; {
		case out && !in:
			l.dy[v] = slack
		case in && !out:
		default:
			l.dy[v] = slack / 2
		}
	}
}

// align moves the vertices of layer r towards the weighted mean of their
// neighbours above and/or below, keeping their order and spacing: the
// weighted least-squares fit under the spacing constraints, found by
// pooling adjacent violators.
func (l *level) align(r int, above, below bool) {
	ly := l.layers[r]
	z := make([]float64, len(ly))
	c := make([]float64, len(ly))
	off := 0.0
	for i, v := range ly {
		if i > 0 {
			off += l.sep(ly[i-1], v)
		}
		sum, wt := 0.0, 0.0
		add := func(us []int) {
			for _, u := range us {
				k := l.weight(u, v)
				sum += k * l.x[u]
				wt += k
			}
		}
		if above {
			add(l.up[v])
		}
		if below {
			add(l.down[v])
		}
		if wt == 0 {
			sum, wt = l.x[v]*0.01, 0.01 // nothing pulls it: it stays unless pushed
		}
		z[i] = sum/wt - off
		c[i] = wt
	}
	fit := isotonic(z, c)
	off = 0
	for i, v := range ly {
		if i > 0 {
			off += l.sep(ly[i-1], v)
		}
		l.x[v] = fit[i] + off
	}
}

// isotonic returns the non-decreasing sequence closest to z in the
// weighted least-squares sense (weights c > 0).
func isotonic(z, c []float64) []float64 {
	type block struct {
		sum, w float64
		n      int
	}
	blocks := make([]block, 0, len(z))
	for i := range z {
		blocks = append(blocks, block{z[i] * c[i], c[i], 1})
		for len(blocks) > 1 {
			a, b := blocks[len(blocks)-2], blocks[len(blocks)-1]
			if a.sum/a.w <= b.sum/b.w {
				break
			}
			blocks = blocks[:len(blocks)-1]
			blocks[len(blocks)-1] = block{a.sum + b.sum, a.w + b.w, a.n + b.n}
		}
	}
	out := make([]float64, 0, len(z))
	for _, b := range blocks {
		for range b.n {
			out = append(out, b.sum/b.w)
		}
	}
	return out
}

// gapAbove is the vertical gap between layers r-1 and r: RankSep, more
// (up to twice) when edges there travel far sideways, so that their
// curves stay readable.
func (l *level) gapAbove(r int) float64 {
	far := 0.0
	for _, v := range l.layers[r] {
		for _, u := range l.up[v] {
			far = max(far, math.Abs(l.x[u]-l.x[v]))
		}
	}
	return min(max(l.opt.RankSep, far/5), 2*l.opt.RankSep)
}

// route draws every edge: down from its tail's bottom to the bottom of
// the tail's layer, across each gap as a curve, straight down through each
// layer it crosses at its bend's x, into its head's top.
func (l *level) route() {
	bottom := func(r int) float64 { return l.layerTop[r] + l.layerH[r] }
	// Ports: the edges at a box's bottom (top) are spread along it in the
	// order of where they go (come from), so they do not cross there.
	outs := make([][]int, l.n)
	ins := make([][]int, l.n)
	for k, c := range l.chains {
		if len(c.v) == 0 {
			continue
		}
		outs[c.v[0]] = append(outs[c.v[0]], k)
		ins[c.v[len(c.v)-1]] = append(ins[c.v[len(c.v)-1]], k)
	}
	outPort := make([]float64, len(l.chains))
	inPort := make([]float64, len(l.chains))
	spread := func(v int, ks []int, next func(k int) (float64, float64), port []float64) {
		slices.SortStableFunc(ks, func(a, b int) int {
			xa, fa := next(a)
			xb, fb := next(b)
			return cmp.Or(cmp.Compare(xa, xb), cmp.Compare(fa, fb))
		})
		step := 0.0
		if len(ks) > 1 {
			step = min(12, l.w[v]*0.7/float64(len(ks)-1))
		}
		for i, k := range ks {
			port[k] = l.x[v] + (float64(i)-float64(len(ks)-1)/2)*step
		}
	}
	for v := range l.n {
		spread(v, outs[v], func(k int) (float64, float64) {
			c := l.chains[k].v
			return l.x[c[1]], l.x[c[len(c)-1]]
		}, outPort)
		spread(v, ins[v], func(k int) (float64, float64) {
			c := l.chains[k].v
			return l.x[c[len(c)-2]], l.x[c[0]]
		}, inPort)
	}

	l.paths = make([][]Point, len(l.chains))
	for k, c := range l.chains {
		if len(c.v) == 0 {
			continue
		}
		a, b := c.v[0], c.v[len(c.v)-1]
		p := &path{pts: []Point{{outPort[k], l.top(a) + l.h[a]}}}
		p.line(bottom(l.rank[a]))
		for _, m := range c.v[1 : len(c.v)-1] {
			p.curve(Point{l.x[m], l.layerTop[l.rank[m]]})
			p.line(bottom(l.rank[m]))
		}
		p.curve(Point{inPort[k], l.layerTop[l.rank[b]]})
		p.line(l.top(b))
		if c.reversed {
			slices.Reverse(p.pts)
		}
		l.paths[k] = p.pts
	}
}

// path builds a sequence of cubic Bézier segments.
type path struct{ pts []Point }

func (p *path) last() Point { return p.pts[len(p.pts)-1] }

// line goes straight down to y, if it is below.
func (p *path) line(y float64) {
	a := p.last()
	if y <= a.Y {
		return
	}
	d := (y - a.Y) / 3
	p.pts = append(p.pts, Point{a.X, a.Y + d}, Point{a.X, a.Y + 2*d}, Point{a.X, y})
}

// curve goes to b leaving and arriving vertically.
func (p *path) curve(b Point) {
	a := p.last()
	m := (b.Y - a.Y) / 2
	p.pts = append(p.pts, Point{a.X, a.Y + m}, Point{b.X, b.Y - m}, b)
}
