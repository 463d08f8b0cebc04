// fingerprint.cpp - symmetric canonical form, binary encoding and hash (see fingerprint.h).
#include "rmapcheck/fingerprint.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <numeric>
#include <vector>

namespace rmapcheck {

namespace {

// What a process looks like without its name and without ids (which
// canonicalize() assigns in process order, so cannot order processes):
// its VMAs and PTEs, and for each PTE what the folio holds.
std::vector<std::uint64_t> signature(const Snapshot& s, const SnapProc& p) {
  std::vector<std::uint64_t> sig;
  sig.reserve(4 + 6 * p.vmas.size() + 9 * p.ptes.size());
  sig.push_back(p.vmas.size());
  for (const SnapVma& v : p.vmas) {
    sig.insert(sig.end(), {v.start, v.end, v.pgoff, static_cast<std::uint64_t>(v.flags),
                           v.anon_vma != 0 ? 1u : 0u, v.chain.size()});
  }
  sig.push_back(p.ptes.size());
  for (const SnapPte& pte : p.ptes) {
    const SnapFolio* f = pte.kind == SnapPte::Kind::Folio ? s.find_folio(pte.folio) : nullptr;
    const SnapSlot* x = pte.kind == SnapPte::Kind::Swap ? s.find_slot(pte.slot) : nullptr;
    sig.insert(sig.end(), {pte.page, static_cast<std::uint64_t>(pte.kind), pte.writable ? 1u : 0u,
                           f ? f->value : 0, f ? static_cast<std::uint64_t>(f->mapcount) : 0,
                           f && f->exclusive ? 1u : 0u, pte.swp_exclusive ? 1u : 0u,
                           x ? static_cast<std::uint64_t>(x->count) : 0, x ? x->value : 0});
  }
  return sig;
}

class Encoder {
 public:
  explicit Encoder(std::string& out) : out_(out) { out_.clear(); }
  void u(std::uint64_t v) {
    char b[8];
    std::memcpy(b, &v, 8);
    out_.append(b, 8);
  }
  void i(long v) { u(static_cast<std::uint64_t>(v)); }
  void str(const std::string& s) {
    u(s.size());
    out_.append(s);
  }

 private:
  std::string& out_;
};

// The 64x64->128-bit product folded to 64 bits, from four 32x32 products
// (no __int128: the build is -Wpedantic).
std::uint64_t mum(std::uint64_t a, std::uint64_t b) {
  const std::uint64_t a0 = a & 0xffffffffu, a1 = a >> 32, b0 = b & 0xffffffffu, b1 = b >> 32;
  const std::uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
  const std::uint64_t mid = (p00 >> 32) + (p01 & 0xffffffffu) + (p10 & 0xffffffffu);
  const std::uint64_t lo = (mid << 32) | (p00 & 0xffffffffu);
  const std::uint64_t hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
  return lo ^ hi;
}

// One 64-bit stream: each word is mixed into the state through a 64x64->128
// multiply folded back to 64 bits (the wyhash construction).
std::uint64_t hash64(const std::string& bytes, std::uint64_t seed, std::uint64_t k1,
                     std::uint64_t k2) {
  std::uint64_t h = seed ^ mum(bytes.size() ^ k1, k2);
  std::size_t n = bytes.size(), at = 0;
  for (; at + 8 <= n; at += 8) {
    std::uint64_t w;
    std::memcpy(&w, bytes.data() + at, 8);
    h = mum(h ^ w ^ k1, k2 ^ (h >> 29));
  }
  std::uint64_t tail = 0;
  std::memcpy(&tail, bytes.data() + at, n - at);
  h = mum(h ^ tail ^ k2, k1 ^ n);
  return mum(h ^ (h >> 31), k1) ^ (h >> 27);
}

}  // namespace

void canonicalize_symmetric(Snapshot& s) {
  const std::size_t n = s.procs.size();
  std::vector<std::vector<std::uint64_t>> sigs(n);
  for (std::size_t k = 0; k < n; ++k) sigs[k] = signature(s, s.procs[k]);
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  // procs are sorted by name, so a stable sort breaks ties by the old name.
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return sigs[a] < sigs[b]; });
  std::map<std::string, std::string, std::less<>> rename;
  std::vector<SnapProc> procs;
  procs.reserve(n);
  for (std::size_t k = 0; k < n; ++k) {
    SnapProc& p = s.procs[order[k]];
    std::string to = "p" + std::to_string(k);
    rename.emplace(p.name, to);
    p.name = std::move(to);
    procs.push_back(std::move(p));
  }
  s.procs = std::move(procs);
  auto renamed = [&](std::string& name) {
    auto it = rename.find(name);
    if (it != rename.end()) name = it->second;
  };
  for (SnapAnonVma& a : s.anon_vmas) {
    for (SnapTreeNode& t : a.tree) renamed(t.proc);
    std::sort(a.tree.begin(), a.tree.end());
  }
  for (SnapFolio& f : s.folios) {
    if (!f.walk) continue;
    for (RmapHit& h : *f.walk) renamed(h.proc);
    std::sort(f.walk->begin(), f.walk->end());
  }
  // "p10" sorts before "p2": canonicalize() orders by name, so the renamed
  // processes are in name order whatever their number.
  canonicalize(s);
}

void encode_state(const Snapshot& s, std::initializer_list<std::uint64_t> extra, std::string& out) {
  Encoder e(out);
  e.u(extra.size());
  for (std::uint64_t x : extra) e.u(x);
  e.u(s.visible.bits);
  e.u(s.procs.size());
  for (const SnapProc& p : s.procs) {
    e.str(p.name);
    e.u(p.vmas.size());
    for (const SnapVma& v : p.vmas) {
      e.u(v.start);
      e.u(v.end);
      e.u(v.pgoff);
      e.u(v.flags);
      e.u(v.anon_vma);
      e.u(v.chain.size());
      for (SnapId c : v.chain) e.u(c);
    }
    e.u(p.ptes.size());
    for (const SnapPte& pte : p.ptes) {
      e.u(pte.page);
      e.u(static_cast<std::uint64_t>(pte.kind));
      e.u(pte.folio);
      e.u(pte.writable);
      e.u(pte.slot);
      e.u(pte.swp_exclusive);
    }
  }
  e.u(s.anon_vmas.size());
  for (const SnapAnonVma& a : s.anon_vmas) {
    e.u(a.id);
    e.u(a.freed);
    e.u(a.root);
    e.u(a.parent);
    e.i(a.refcount);
    e.i(a.num_children);
    e.i(a.num_active_vmas);
    e.u(a.tree.size());
    for (const SnapTreeNode& t : a.tree) {
      e.str(t.proc);
      e.u(t.vma_start);
    }
    e.str(a.tree_error);
  }
  e.u(s.folios.size());
  for (const SnapFolio& f : s.folios) {
    e.u(f.id);
    e.u(f.anon_vma);
    e.u(f.index);
    e.i(f.mapcount);
    e.u(f.exclusive);
    e.u(f.value);
    e.u(f.walk ? f.walk->size() + 1 : 0);
    if (f.walk) {
      for (const RmapHit& h : *f.walk) {
        e.str(h.proc);
        e.u(h.page);
      }
    }
    e.u(f.swap);
  }
  e.u(s.slots.size());
  for (const SnapSlot& x : s.slots) {
    e.u(x.id);
    e.i(x.count);
    e.u(x.cached);
    e.u(x.value);
  }
}

Fingerprint fingerprint(const std::string& bytes) {
  return {hash64(bytes, 0x243f6a8885a308d3ull, 0xa0761d6478bd642full, 0xe7037ed1a0b428dbull),
          hash64(bytes, 0x13198a2e03707344ull, 0x8ebc6af09c88c6e3ull, 0x589965cc75374cc3ull)};
}

}  // namespace rmapcheck
