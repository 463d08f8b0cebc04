// impl/footprint.h - what each impl object costs in bytes: the one place.
//
// These are the figures the headers of impl/ and docs/performance.md speak
// of. Each is checked by a static_assert below, so a change of layout fails
// the build here and the figure is updated in one place (bench/footprint_bench
// prints the same table from sizeof at run time).
//
//   object            sizeof   + pool header   = per object
//   vm_area_struct        96          32            128
//   anon_vma_chain        80          32            112   (the tree hook caches the key)
//   anon_vma              72          32            104
//   folio                 56          32             88   (folio->swap fills the padding
//                                                         after anon_exclusive)
//   pte_t                 16           -             16   (the swap form's slot and exclusive
//                                                         bit fill the padding too)
//   pte_table           8256           -           8256   (512 PTEs of 16 bytes + a 64-byte
//                                                         bitmap of the non-none ones; not pooled)
//   swap slot             18           -             18   (swap_map 2 + contents 8 + swap
//                                                         table 8; vectors by offset,
//                                                         impl/swapfile.h)
//   interval tree hook    48 of the avc (rb_node 24, rb_subtree_last 8, cached key 16)
//
// One VMA linked to a non-forked anon_vma costs vm_area_struct + one avc =
// 240 bytes of rmap objects; a forked VMA adds one avc per ancestor anon_vma
// of its chain and its own anon_vma (x86-64, g++ 12 and clang 14).
#pragma once

#include <cstddef>

#include "impl/mm_types.h"
#include "impl/pool.h"
#include "impl/rmap.h"

namespace rmapcheck::impl::footprint {

inline constexpr std::size_t kPoolHeader = 32;
inline constexpr std::size_t kVma = 96;
inline constexpr std::size_t kAvc = 80;
inline constexpr std::size_t kAnonVma = 72;
inline constexpr std::size_t kFolio = 56;
inline constexpr std::size_t kTreeHook = 48;
inline constexpr std::size_t kPte = 16;
inline constexpr std::size_t kPteTable = 8256;
inline constexpr std::size_t kSwapSlot = 18;
inline constexpr std::size_t kPerLinkedVma = (kVma + kPoolHeader) + (kAvc + kPoolHeader);

static_assert(Pool<vm_area_struct>::header_bytes() == kPoolHeader, "update impl/footprint.h");
static_assert(sizeof(vm_area_struct) == kVma, "update impl/footprint.h");
static_assert(sizeof(anon_vma_chain) == kAvc, "update impl/footprint.h");
static_assert(sizeof(anon_vma) == kAnonVma, "update impl/footprint.h");
static_assert(sizeof(folio) == kFolio, "update impl/footprint.h");
static_assert(sizeof(interval_tree_node<pgoff_t>) == kTreeHook, "update impl/footprint.h");
static_assert(sizeof(pte_t) == kPte, "update impl/footprint.h");
static_assert(sizeof(pte_table) == kPteTable, "update impl/footprint.h");
static_assert(sizeof(swap_map_t) + sizeof(std::uint64_t) + sizeof(folio*) == kSwapSlot,
              "update impl/footprint.h");
static_assert(kPerLinkedVma == 240, "update impl/footprint.h");

}  // namespace rmapcheck::impl::footprint
