// project.h - an engine's Snapshot, cut down to what the kernel lets us see.
//
// Per VMA: start, end, the flags of kComparedFlags, and (forest) pgoff,
// anon_vma and chain. Per present PTE: zero page, or the folio's identity,
// mapcount and AnonExclusive bit; the value where the VMA is readable. The
// anon_vmas are those a VMA or chain reaches (plus roots and parents): the
// kernel cannot see one only a folio points to. PTE writability and
// folio->index/mapping are not observable and are dropped.
//
// Synopsis
//   project_snapshot(s)   raw Observation (has_flags, has_forest set);
//                         canonicalize_observation() it before comparing
#pragma once

#include "observation.h"
#include "rmapcheck/snapshot.h"

namespace rmapcheck::oracle {

Observation project_snapshot(const Snapshot& s);

}  // namespace rmapcheck::oracle
