-- A PostgreSQL server that goes away and comes back. A query on a
-- connection the server dropped raises a "connection" error at once (no
-- hang, no crash), the dead connection still closes, connecting while the
-- server is down fails the same way, and once the server is up again a new
-- connection works.
--
-- Needs SLEET_TEST_PG_URL and SLEET_TEST_PG_CTL, a command that takes `stop`
-- or `start` for that same server; `make test` sets both
-- (scripts/servers.sh). The server is started again after the test, whether
-- it passed or not, because later specs use it.
local sleet = require "sleet"

local url = os.getenv("SLEET_TEST_PG_URL")
local ctl = os.getenv("SLEET_TEST_PG_CTL")

-- Runs `$SLEET_TEST_PG_CTL verb`; true when it succeeded.
local function control(verb)
  local ok = os.execute(ctl .. " " .. verb)
  if type(ok) == "number" then return ok == 0 end -- Lua 5.1
  return ok == true
end

local function select_one(db)
  local rows = db:execute(sleet.sql("select 1 as one"))
  return rows[1] and rows[1].one
end

-- Calls f(...) expecting it to raise a connection error within a few
-- seconds; returns the error.
local function connection_error(f, ...)
  local started = os.time()
  local ok, err = pcall(f, ...)
  assert.is_false(ok, "expected an error")
  assert.is_true(sleet.isError(err, "connection"),
    "expected a connection error, got " .. tostring(err))
  assert.is_true(os.difftime(os.time(), started) <= 5,
    "the error took more than 5 s")
  return err
end

describe("a PostgreSQL server restart", function()
  if not (url and ctl) then
    pending("needs SLEET_TEST_PG_URL and SLEET_TEST_PG_CTL (make test sets both)")
    return
  end

  local stopped = false
  local db

  after_each(function()
    if db then
      pcall(db.close, db)
      db = nil
    end
    if stopped then
      assert.is_true(control("start"), "the PostgreSQL server did not start again")
      stopped = false
    end
  end)

  it("fails queries on the dropped connection and accepts new ones", function()
    db = sleet.connect(url)
    assert.equal(1, select_one(db))

    stopped = true
    assert.is_true(control("stop"), "the PostgreSQL server did not stop")

    local err = connection_error(select_one, db)
    assert.is_string(err.message)
    -- a lost connection is closed (a host knows to connect again) ...
    assert.is_true(db:isClosed())
    -- ... stays unusable, and says so the same way
    connection_error(select_one, db)
    assert.has_no.errors(function() db:close() end)
    db = nil

    connection_error(sleet.connect, url)

    assert.is_true(control("start"), "the PostgreSQL server did not start again")
    stopped = false

    db = sleet.connect(url)
    assert.equal(1, select_one(db))
  end)
end)
