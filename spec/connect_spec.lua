-- Connecting: what a URL or an options table means and how a connect that
-- cannot succeed ends.
--
-- A server that accepts the TCP connection and never answers (here a
-- listening socket nobody accepts: the kernel completes the handshake)
-- must not hang the caller: every network driver gives up after its
-- connect_timeout (10 s unless set) with a connection error that names
-- where it tried to connect and the timeout.
local sleet = require "sleet"
local dialects = require "spec.support.dialects"

-- Starts a process listening on a free loopback port that never accepts
-- (perl from perl-base); returns its port and pid.
local function silent_listener()
  local script = [[
use IO::Socket::INET; $| = 1;
my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => 0,
  Listen => 16, Proto => "tcp") or die "listen: $!";
print $s->sockport, " $$\n";
sleep 120;
]]
  local path = os.tmpname()
  local f = assert(io.open(path, "w"))
  f:write(script)
  f:close()
  local p = assert(io.popen("perl " .. path .. " 2>&1 & echo", "r"))
  -- the shell returns at once; the line comes from the background perl
  local line = p:read("l")
  while line == "" do line = p:read("l") end
  p:close()
  os.remove(path)
  local port, pid = (line or ""):match("^(%d+) (%d+)$")
  assert(port, "the listener did not start: " .. tostring(line))
  return tonumber(port), pid
end

describe("connect_timeout", function()
  local port, pid
  before_each(function() port, pid = silent_listener() end)
  after_each(function() os.execute("kill " .. pid) end)

  for _, d in ipairs(dialects.live()) do
    if not d.only("postgresql", "mysql", "SQLite opens files, no network") then
      goto continue
    end
    describe(d.name, function()
      -- libpq's smallest timeout is 2 s
      local timeout = d.name == "postgresql" and 2 or 1
      local scheme = d.name == "postgresql" and "postgres" or "mysql"

      local function check(err)
        assert.is_true(sleet.isError(err, "connection"),
          "expected a connection error, got " .. tostring(err))
        local msg = tostring(err)
        assert.matches("127.0.0.1:" .. port, msg, 1, true)
        assert.matches("within " .. timeout .. " s (connect_timeout)", msg,
          1, true)
      end

      it("ends a connect to a server that never answers (URL)", function()
        local ok, err = pcall(sleet.connect, ("%s://u@127.0.0.1:%d/x?" ..
          "connect_timeout=%d"):format(scheme, port, timeout))
        assert.is_false(ok)
        check(err)
      end)

      it("ends a connect to a server that never answers (params)", function()
        local ok, err = pcall(sleet.connect, {
          dialect = d.name, host = "127.0.0.1", port = port, user = "u",
          database = "x", params = { connect_timeout = timeout },
        })
        assert.is_false(ok)
        check(err)
      end)
    end)
    ::continue::
  end
end)
