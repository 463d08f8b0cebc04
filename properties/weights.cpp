// weights.cpp - the default operation mix and its "op=N,..." text form.
#include "properties/weights.h"

#include <charconv>

namespace rmapcheck::props {

// Why these numbers: the interesting anon_vma states come from chains of
// forks with exits in the middle and from VMAs split and re-merged, so
// fork/exit/mprotect/write dominate; mmap is kept low so that processes have
// few VMAs and ranges overlap; failalloc is rare (about 3% of the ops) so
// that it perturbs without drowning the successful paths, yet every
// allocation site fails in every default campaign. --weights failalloc=0
// turns it off.
Weights Weights::defaults() {
  Weights d;
  d.set(OpKind::Mmap, 5);
  d.set(OpKind::Munmap, 2);
  d.set(OpKind::Mprotect, 8);
  d.set(OpKind::Madvise, 3);
  d.set(OpKind::Mremap, 5);
  d.set(OpKind::Read, 3);
  d.set(OpKind::Write, 12);
  d.set(OpKind::Fork, 9);
  d.set(OpKind::Exit, 5);
  d.set(OpKind::Rmap, 3);
  d.set(OpKind::FailAlloc, 2);
  // Reclaim and swap: pageout per range, reclaim of everything now and then.
  d.set(OpKind::Pageout, 4);
  d.set(OpKind::Reclaim, 2);
  return d;
}

std::uint32_t Weights::total() const {
  std::uint32_t t = 0;
  for (auto v : w) t += v;
  return t;
}

std::optional<std::string> parse_weights(std::string_view text, Weights& w) {
  Weights out = w;
  while (!text.empty()) {
    auto comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    if (item.empty()) continue;
    auto eq = item.find('=');
    if (eq == std::string_view::npos) {
      return "weight '" + std::string(item) + "' is not of the form op=N";
    }
    std::string_view name = item.substr(0, eq), num = item.substr(eq + 1);
    auto kind = op_kind_from_name(name);
    if (!kind) return "unknown operation '" + std::string(name) + "' in --weights";
    std::uint32_t v = 0;
    auto [p, ec] = std::from_chars(num.data(), num.data() + num.size(), v);
    if (ec != std::errc{} || p != num.data() + num.size() || v > 1000000) {
      return "weight of '" + std::string(name) + "' must be an integer in 0..1000000, not '" +
             std::string(num) + "'";
    }
    out.set(*kind, v);
  }
  if (out.total() == 0) return "every weight is 0: nothing to generate";
  w = out;
  return std::nullopt;
}

std::string format_weights(const Weights& w) {
  std::string s;
  for (int i = 0; i < kOpKindCount; ++i) {
    if (!s.empty()) s += ',';
    s += op_kind_name(static_cast<OpKind>(i));
    s += '=';
    s += std::to_string(w.w[static_cast<std::size_t>(i)]);
  }
  return s;
}

}  // namespace rmapcheck::props
