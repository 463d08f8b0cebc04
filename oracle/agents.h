// agents.h - the controller side of the agent processes of one trace.
//
// An AgentSet starts with one agent, "p0", with an empty window, and keeps one
// agent per live trace process. It never maps the window itself.
//
// Synopsis
//   AgentSet set(cpu, swap);       spawns p0 (THP off, pinned to `cpu`, in the
//                                  memcg of `swap` when given, before it
//                                  touches a page of the window)
//   set.request(name, q, &reply)   one request to a live agent
//   set.fork(parent, child)        the parent forks; the child becomes an agent
//   set.exit(name)                 the agent exits; waits until it is gone
//   set.peek(name, addrs)          plain loads of present, readable pages
//   set.live()                     name -> pid, in name order
//
// Contract: every failure of the machinery itself (an agent that dies or does
// not answer) throws AgentError; kernel answers come back in Reply.status.
// The destructor kills and reaps every agent.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "agent_protocol.h"
#include "swap_setup.h"

namespace rmapcheck::oracle {

class AgentError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct AgentHandle {
  pid_t pid = -1;
  int channel = -1;  // controller's end of the agent's socket
  int pidfd = -1;    // to confirm exit and to kill
  int maps_fd = -1;  // /proc/PID/maps, for PROCMAP_QUERY
  int pagemap_fd = -1;
};

class AgentSet {
 public:
  explicit AgentSet(int cpu, const SwapSetup* swap = nullptr);
  ~AgentSet();
  AgentSet(const AgentSet&) = delete;
  AgentSet& operator=(const AgentSet&) = delete;

  const std::map<std::string, AgentHandle>& live() const { return agents_; }
  bool is_live(const std::string& name) const { return agents_.count(name) != 0; }

  Reply request(const std::string& name, const Request& q);
  // Returns the fork's status (0 or an errno).
  int fork(const std::string& parent, const std::string& child);
  void exit(const std::string& name);
  // The uint64 at each of `addrs`, by plain loads in the agent. The caller
  // passes only present, readable pages; a load that faults throws.
  std::vector<std::uint64_t> peek(const std::string& name, const std::vector<std::uint64_t>& addrs);

 private:
  AgentHandle adopt(pid_t pid, int channel);
  void close_handle(AgentHandle& h);
  Reply receive(const std::string& name, int* passed_fd, std::vector<std::uint64_t>* extra,
                std::size_t extra_count);
  void wait_gone(const std::string& name, const AgentHandle& h);
  void reap_orphans();

  pid_t first_pid_ = -1;
  std::map<std::string, AgentHandle> agents_;
};

// The CPU every agent runs on: the highest CPU this process may use.
int pick_agent_cpu();

}  // namespace rmapcheck::oracle
