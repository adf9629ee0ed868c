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

describe("SQLite URLs", function()
  local dir
  before_each(function()
    dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir " .. dir))
  end)
  after_each(function() os.execute("rm -rf " .. dir) end)

  local function exists(path)
    local f = io.open(path, "r")
    if f then f:close() end
    return f ~= nil
  end

  it("read the query string as options, not as part of the file name", function()
    local file = dir .. "/app.db"
    local db = sleet.connect("sqlite:" .. file .. "?mode=rwc")
    db:execute(sleet.sql("create table t (a integer)"))
    db:close()
    assert.is_true(exists(file))
    assert.is_false(exists(file .. "?mode=rwc"))
    db = sleet.connect("sqlite:" .. file .. "?mode=ro")
    local msg = tostring(select(2, pcall(db.execute, db,
      sleet.sql("insert into t (a) values (1)"))))
    assert.matches("readonly", msg, 1, true)
    db:close()
    assert.is_false(exists(file .. "?mode=ro"))
  end)

  it("mode=rw does not create a missing file", function()
    local file = dir .. "/missing.db"
    local ok, err = pcall(sleet.connect, "sqlite:" .. file .. "?mode=rw")
    assert.is_false(ok)
    assert.is_true(sleet.isError(err, "connection"), tostring(err))
    assert.is_false(exists(file))
    assert.is_false(exists(file .. "?mode=rw"))
  end)

  it("mode=memory opens a database in memory", function()
    local file = dir .. "/mem.db"
    local db = sleet.connect("sqlite:" .. file .. "?mode=memory")
    db:execute(sleet.sql("create table t (a integer)"))
    db:close()
    assert.is_false(exists(file))
    assert.is_false(exists(file .. "?mode=memory"))
  end)

  it("other options come from the query string too", function()
    local db = sleet.connect("sqlite:" .. dir .. "/o.db?foreign_keys=off&busy_timeout=10")
    assert.equal(0, db:execute(sleet.sql("pragma foreign_keys"))[1].foreign_keys)
    db:close()
  end)

  it("an unknown key is a usage error naming it, and creates no file", function()
    local file = dir .. "/typo.db"
    local ok, err = pcall(sleet.connect, "sqlite:" .. file .. "?mdoe=ro")
    assert.is_false(ok)
    assert.is_true(sleet.isError(err, "usage"), tostring(err))
    assert.matches("unknown sqlite option 'mdoe'", tostring(err), 1, true)
    assert.is_false(exists(file))
    assert.is_false(exists(file .. "?mdoe=ro"))
  end)

  it("a bad mode is a usage error", function()
    local ok, err = pcall(sleet.connect, "sqlite:" .. dir .. "/m.db?mode=rx")
    assert.is_false(ok)
    assert.is_true(sleet.isError(err, "usage"), tostring(err))
    assert.matches("mode must be ro, rw, rwc or memory, got 'rx'",
      tostring(err), 1, true)
  end)
end)

describe("a MySQL unix socket", function()
  local d = dialects.find("mysql")
  local socket = os.getenv("SLEET_TEST_MYSQL_SOCKET")
  if not d then return end
  if not socket or socket == "" then
    pending("needs SLEET_TEST_MYSQL_SOCKET (scripts/servers.sh sets it)")
    return
  end

  -- the user as the server sees it: root@localhost over the socket,
  -- root@127.0.0.1 over TCP
  local function whoami(db)
    return db:execute(sleet.sql("select current_user() as u, user() as w"))[1].w
  end

  it("is used when the URL names one, whatever its host", function()
    -- port 1: nothing listens there, so only the socket can answer
    local db = sleet.connect("mysql://root@127.0.0.1:1/sleet_test?socket=" ..
      socket)
    assert.equal("root@localhost", whoami(db))
    db:close()
  end)

  it("is used when the options table names one", function()
    local db = sleet.connect({ dialect = "mysql", host = "127.0.0.1", port = 1,
      user = "root", database = "sleet_test", socket = socket })
    assert.equal("root@localhost", whoami(db))
    db:close()
  end)

  it("is not used without one", function()
    local db = sleet.connect(d.url())
    assert.equal("root@127.0.0.1", whoami(db))
    db:close()
  end)
end)
