// Package layout draws compound directed graphs as layered diagrams, top
// to bottom: it places boxes (tasks, and groups that hold a graph of their
// own) in layers so that edges point down, orders each layer to avoid
// crossings, and routes every edge as a curve through the gaps between
// layers, so that no edge runs through a box it does not join.
//
// It is pure Go and does nothing until Compute is called: no package
// state, no compile step, no files. The web UI's graph route (package api)
// uses it.
//
// The method is Sugiyama's, one group at a time, innermost first: a
// group's inner graph is laid out, and the group then takes part in its
// parent's layout as one box of that size.
//
//   - Cycles are broken by reversing the back edges of a depth-first search.
//   - Layers: longest path from the sources, then nodes that feed more
//     than they consume move down next to their consumers. Edges that span
//     several layers get a bend point in each layer they cross.
//   - Order within layers: barycenter sweeps, down and up, keeping the
//     order with the fewest crossings (counted exactly), then swaps of
//     neighbours while they remove crossings.
//   - Horizontal positions: each layer in turn is pulled towards the
//     weighted mean of its neighbours' positions (bend points of long edges
//     weigh most, so long edges run straight), keeping the order and the
//     spacing exactly: a weighted isotonic regression (pool adjacent
//     violators), alternately downwards and upwards.
//   - Vertical positions: layers are as tall as their tallest box, with a
//     gap that grows (up to twice RankSep) when edges there travel far
//     sideways. A box is centred in its layer, except that a source sits at
//     the bottom, next to what it feeds, and a sink at the top.
//   - Edges leave a box at its bottom and enter the next at its top
//     (spread apart when a box has several), run straight down inside a
//     layer and as a cubic Bézier curve with vertical tangents across each
//     gap.
package layout
