// snapshot_dot.h - a Snapshot as a Graphviz DOT picture (`rmapcheck draw`).
//
// Everything is taken from the canonical Snapshot, so the model and the impl
// in the same state draw byte for byte alike, with the ids of format_snapshot.
// The text depends on nothing but the arguments (no addresses, no clock, no
// hash order): the same input gives the same bytes, which goldens hold.
//
// Synopsis
//   DotSide                            one engine's state, with its label and notes
//   snapshot_dot(side, title)          one state
//   snapshot_pair_dot(a, b, title)     two states, a above b in aligned columns;
//                                      what differs (snapshot_difference) red
//
// The picture (rankdir=LR; every arrow is a pointer of a kernel struct):
//
//   process p1 (cluster)                 folios              anon_vmas
//   +--------------------------------+
//   | vma [0,4) rw-p anon_vma=#2 ====|=========================> [#2] --parent, root--> [#1]
//   | pgoff=0 flags=rd,wr,ac         |                             ^                     ^ ^
//   | avc -> #2 ---------------------|-----------------------------'                     | |
//   | avc -> #1 ---------------------|---------------------------------------------------' |
//   | pte 0 -> folio #1 ro ----------|---> [folio #1 mapping=#1] --------------------------'
//   +--------------------------------+
//
//   - a process is a cluster of its VMAs; a VMA is a table: range, perms and
//     vma->anon_vma (a bold edge), pgoff and flags, one row per anon_vma_chain
//     in list order (vma->anon_vma_chain, newest first; an edge avc->anon_vma,
//     dashed and red when the anon_vma's interval tree lacks that chain),
//     then its present PTEs (an edge to the folio; runs of zero-page PTEs as
//     one row). A tree node no chain explains is a red dashed edge from the
//     anon_vma back to the VMA.
//   - anon_vmas: refcount, num_children, num_active_vmas, the interval tree;
//     an edge to the parent, a dotted one to the root when it is not the
//     parent. folios: index, mapcount, exclusive, value; folio->mapping.
//   - broken states are marked as format_snapshot marks them: FREED,
//     DANGLING (a drawn placeholder), TREE ERROR, OUTSIDE ANY VMA.
//
// Extension point: a PTE's row and its target are made by one switch over
// SnapPte::Kind (snapshot_dot.cpp, pte_row); a new kind (swap entries) adds
// its case there, and its target nodes (swap slots) a column of their own
// next to the folios, as the folios are emitted.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "rmapcheck/snapshot.h"

namespace rmapcheck {

struct DotSide {
  std::string label;                // "model", "impl (mutant cve-2022-42703)"
  const Snapshot* state = nullptr;  // nullptr: no state to draw (say why in notes)
  std::vector<std::string> notes;   // lines under the label: the result, a fault
};

// `title`: lines above the picture, the first in bold.
std::string snapshot_dot(const DotSide& side, const std::vector<std::string>& title);
std::string snapshot_pair_dot(const DotSide& a, const DotSide& b,
                              const std::vector<std::string>& title);

}  // namespace rmapcheck
