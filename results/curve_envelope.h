// Thinning a curve for a chart of a given width without losing its extremes: the
// points are cut into intervals, one per pixel column, and each interval keeps its
// minimum and its maximum (about two points per pixel), so a spike or a dip of one
// step among 10,000 still shows, as an every-Nth thinning would not.
#pragma once

#include <cstddef>
#include <vector>

namespace torchsweep {

/// The indices of the points of `values` kept for a chart `buckets` intervals wide,
/// ascending and each once: the points are cut into `buckets` intervals of consecutive
/// points (interval b holds the indices from floor(b·count/buckets) up to before
/// floor((b+1)·count/buckets)); each keeps the first index of its minimum and of its
/// maximum (NaN values are not compared; an interval of only NaNs keeps its first index,
/// so that a gap stays a gap), and the first and last points are always kept. Every
/// index when count <= 2·buckets; buckets 0 counts as 1.
std::vector<size_t> envelope_indices(const std::vector<double>& values, size_t buckets);

/// The union of envelope_indices() of several series of equal length (a group's mean
/// and its band's edges), ascending and each once.
std::vector<size_t> envelope_union(const std::vector<const std::vector<double>*>& series, size_t buckets);

/// The elements of `values` at `indices`.
template <typename T>
std::vector<T> pick(const std::vector<T>& values, const std::vector<size_t>& indices) {
  std::vector<T> out;
  out.reserve(indices.size());
  for (const size_t i : indices) out.push_back(values[i]);
  return out;
}

}  // namespace torchsweep
