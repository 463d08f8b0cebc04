// impl/interval_tree.cpp - the anon_vma interval tree, typed (mirrors mm/interval_tree.c).
//
// The generic tree (impl/interval_tree.h) is written once; these are the thin
// wrappers the rest of impl/ calls, with the kernel's names, plus the
// pre/post_update pair that re-keys a VMA's avcs around a range change
// (mm/vma.c keeps those two, we keep them with the tree they serve).
#include <string>

#include "impl/interval_tree_stale.h"
#include "impl/rmap.h"

namespace rmapcheck::impl {

std::string avc_tree_traits::describe(const anon_vma_chain& avc) {
  const vm_area_struct* vma = avc.vma;
  std::string who = vma->vm_mm != nullptr ? vma->vm_mm->name : "?";
  return "avc(" + who + " vma [" + std::to_string(vma->vm_start) + "," +
         std::to_string(vma->vm_end) + "))";
}

// anon_vma_interval_tree_insert. Under Mutant::StaleSubtreeLast the insert
// is the one that forgets the summaries (impl/interval_tree_stale.h).
void anon_vma_interval_tree_insert(kernel_state& k, anon_vma_chain* avc, anon_vma_tree& root) {
  if (k.has(Mutant::StaleSubtreeLast)) [[unlikely]] {
    interval_tree_insert_stale_subtree_last(root, avc);
    return;
  }
  root.insert(avc);
}

void anon_vma_interval_tree_remove(anon_vma_chain* avc, anon_vma_tree& root) {
  root.remove(avc);
}

anon_vma_chain* anon_vma_interval_tree_iter_first(const anon_vma_tree& root, pgoff_t first,
                                                  pgoff_t last) {
  return root.iter_first(first, last);
}

anon_vma_chain* anon_vma_interval_tree_iter_next(anon_vma_chain* node, pgoff_t first,
                                                 pgoff_t last) {
  return anon_vma_tree::iter_next(node, first, last);
}

// anon_vma_interval_tree_verify (CONFIG_DEBUG_VM_RB), for the whole tree.
std::string anon_vma_interval_tree_verify(const anon_vma_tree& root) {
  return root.verify();
}

// anon_vma_interval_tree_pre_update_vma: before vm_start/vm_end/vm_pgoff of a
// linked VMA change, take its avcs out (the tree holds their keys as cached
// from the VMA at insert; left in, they would stay filed under the old key).
void anon_vma_interval_tree_pre_update_vma(vm_area_struct* vma) {
  for (anon_vma_chain& avc : vma->anon_vma_chain)
    anon_vma_interval_tree_remove(&avc, avc.anon_vma->rb_root);
}

// anon_vma_interval_tree_post_update_vma: and put them back, caching the new key.
void anon_vma_interval_tree_post_update_vma(vm_area_struct* vma) {
  for (anon_vma_chain& avc : vma->anon_vma_chain) {
    anon_vma_interval_tree_insert(*vma->vm_mm->k, &avc, avc.anon_vma->rb_root);
  }
}

}  // namespace rmapcheck::impl
