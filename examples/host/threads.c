/*
** threads.c — one Lua state per thread, each with its own connections:
** the model sleet supports for multi-threaded hosts.
**
**   threads LUA_DIR CPATH_DIR
**
** Starts two threads per database (SQLite always; PostgreSQL and MariaDB
** when SLEET_TEST_PG_URL / SLEET_TEST_MYSQL_URL name one), all at once.
** Each thread opens its own Lua state, loads sleet (the driver modules and
** their client libraries are shared by the process), connects, creates a
** table of its own, writes and reads it back through a prepared statement
** and drops it (examples/host/worker.lua). Exits 1 when any thread fails.
** `make host-threads` runs it against the AddressSanitizer build.
*/
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#define PER_DATABASE 2
#define MAX_JOBS 6

typedef struct job {
  const char *luadir, *cdir;
  const char *url; /* the database */
  int n;           /* the thread's number, names its table */
  long checked;    /* rows the thread read back */
  char error[512]; /* empty on success */
} job;

static void *run(void *arg) {
  job *j = arg;
  lua_State *L = luaL_newstate();
  if (L == NULL) {
    snprintf(j->error, sizeof j->error, "out of memory");
    return NULL;
  }
  luaL_openlibs(L);
  lua_getglobal(L, "package");
  lua_pushfstring(L, "%s/?.lua;%s/?/init.lua;examples/host/?.lua", j->luadir,
                  j->luadir);
  lua_setfield(L, -2, "path");
  lua_pushfstring(L, "%s/?.so", j->cdir);
  lua_setfield(L, -2, "cpath");
  lua_pop(L, 1);
  lua_getglobal(L, "require");
  lua_pushliteral(L, "worker");
  if (lua_pcall(L, 1, 1, 0) == LUA_OK) {
    lua_pushstring(L, j->url);
    lua_pushinteger(L, j->n);
    if (lua_pcall(L, 2, 1, 0) == LUA_OK)
      j->checked = (long)lua_tointeger(L, -1);
  }
  if (lua_gettop(L) > 0 && j->checked == 0)
    snprintf(j->error, sizeof j->error, "%s", luaL_tolstring(L, -1, NULL));
  lua_close(L);
  return NULL;
}

int main(int argc, char **argv) {
  const char *urls[3];
  job jobs[MAX_JOBS];
  pthread_t tids[MAX_JOBS];
  int nurls = 0, njobs = 0, i, failed = 0;
  memset(jobs, 0, sizeof jobs);
  urls[nurls++] = "sqlite::memory:";
  if (getenv("SLEET_TEST_PG_URL") && *getenv("SLEET_TEST_PG_URL"))
    urls[nurls++] = getenv("SLEET_TEST_PG_URL");
  if (getenv("SLEET_TEST_MYSQL_URL") && *getenv("SLEET_TEST_MYSQL_URL"))
    urls[nurls++] = getenv("SLEET_TEST_MYSQL_URL");
  for (i = 0; i < nurls * PER_DATABASE; i++) {
    job *j = &jobs[njobs];
    j->luadir = argc > 1 ? argv[1] : "lua";
    j->cdir = argc > 2 ? argv[2] : "build";
    j->url = urls[i / PER_DATABASE];
    j->n = i + 1;
    if (pthread_create(&tids[njobs], NULL, run, j) != 0) {
      fprintf(stderr, "threads: cannot start a thread\n");
      return 1;
    }
    njobs++;
  }
  for (i = 0; i < njobs; i++)
    pthread_join(tids[i], NULL);
  for (i = 0; i < njobs; i++) {
    const char *scheme = strncmp(jobs[i].url, "sqlite", 6) == 0 ? "sqlite"
                         : strncmp(jobs[i].url, "postgres", 8) == 0
                             ? "postgresql"
                             : "mysql";
    if (jobs[i].error[0] != '\0') {
      fprintf(stderr, "threads: thread %d (%s): %s\n", jobs[i].n, scheme,
              jobs[i].error);
      failed++;
    } else
      printf("threads: thread %d (%s) read back %ld rows\n", jobs[i].n, scheme,
             jobs[i].checked);
  }
  return failed ? 1 : 0;
}
