// explore_shard.h - a sharded exploration's reports and their merge
// (`rmapcheck explore --shard I/N`, `rmapcheck explore-merge`).
//
// Each shard writes one file: a text header (bounds, depth, store, shard,
// verdict, counterexample) and one line per state it stored: fingerprint,
// the depth at which it first reached it, and the transitions it checked
// from it (or `-`). The merge takes the union of the states by
// fingerprint at their smallest depth (the shard holding a state's
// shortest path reaches it at exactly that depth), counts each state's
// transitions once, and gives the completeness line the unsharded search
// gives: the same distinct states and transitions (the ctest
// explore.sharded_equals_unsharded checks it under GNU parallel).
//
// Synopsis
//   shard_file_name(i, n)              "explore-shard-1-of-4.states"
//   shard_file_text(cfg, r)            what shard cfg.shard_index writes
//   merge_shards(files, out, error)    the merged result, or false with error (file:line: why)
#pragma once

#include <string>
#include <vector>

#include "properties/explore.h"

namespace rmapcheck::props {

std::string shard_file_name(std::uint32_t index, std::uint32_t count);
std::string shard_file_text(const ExploreConfig& cfg, const ExploreResult& r);

struct MergedExplore {
  ExploreResult result;
  std::string bounds;  // bounds_text of the shards
  int depth = 0;       // the depth bound
  std::uint32_t shards = 0;
};

bool merge_shards(const std::vector<std::string>& files, MergedExplore& out, std::string& error);

}  // namespace rmapcheck::props
