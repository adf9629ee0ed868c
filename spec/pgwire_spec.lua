-- The PostgreSQL wire driver (drivers/pgwire.c) on the test server:
--   * the live half of its C tests (build/c/pgwire_test, built by
--     `make check-c`, which runs before the servers start): the driver
--     through its vtable over a blocking socket;
--   * the authentication matrix through sleet.connect(url, { socket =
--     "luasocket" }): md5, scram-sha-256 and cleartext users
--     (scripts/servers.sh), and a wrong password (kind connection, worded
--     as libpq words it).
-- Streaming a million rows within 20 MB is spec/stream_spec.lua's, which
-- `make test` runs over the wire drivers too.
local sleet = require "sleet"
local check = require "spec.support.check"
local dialects = require "spec.support.dialects"

local function env(name)
  local v = os.getenv(name)
  if v == "" then return nil end
  return v
end

local ok_socket = pcall(require, "socket")

-- Resident memory of this process in KiB (Linux), or nil.
describe("pgwire", function()
  local url = env("SLEET_TEST_PG_URL")
  if not url then
    pending("no PostgreSQL server (SLEET_TEST_PG_URL)")
    return
  end
  if not dialects.has_wire("postgresql") then
    pending("the core has no pgwire driver")
    return
  end

  it("passes its C tests against the server", function()
    local exe = "build/c/pgwire_test"
    local f = io.open(exe)
    if not f then
      pending(exe .. " is not built (make check-c)")
      return
    end
    f:close()
    -- the sanitizer runtimes preloaded into an instrumented run's Lua are
    -- not the child's business
    local p = assert(io.popen("env -u LD_PRELOAD " .. exe .. " 2>&1"))
    local out = p:read("a")
    p:close()
    local last = out:match("([^\n]*)\n?$")
    local passed, failed = last:match("^(%d+) passed, (%d+) failed")
    assert(passed, out)
    assert.equal(0, tonumber(failed), out)
    assert.is_true(tonumber(passed) > 150, out)
  end)

  describe("authentication over LuaSocket", function()
    if not ok_socket then
      pending("no LuaSocket (Debian lua-socket)")
      return
    end
    for _, var in ipairs({ "SLEET_TEST_PG_MD5_URL", "SLEET_TEST_PG_SCRAM_URL",
      "SLEET_TEST_PG_PASSWORD_URL" }) do
      local u = env(var)
      it(var, function()
        if not u then
          pending(var .. " is not set (scripts/servers.sh sets it)")
          return
        end
        local db = sleet.connect(u, { socket = "luasocket" })
        local rows = db:all(sleet.sql("select current_user as u"))
        assert.equal(u:match("//([^:]+):"), rows[1].u)
        db:close()
        local bad = u:gsub(":sleet%-pw@", ":wrong@")
        local err = check.raises_kind("connection", sleet.connect, bad,
          { socket = "luasocket" })
        assert.matches('password authentication failed for user "'
          .. u:match("//([^:]+):") .. '"', err.message, 1, true)
      end)
    end
  end)
end)
