// drizzle-seed on better-sqlite3 in memory: the workload of bench/seed.lua
// (10,000 users × 10 posts: names, emails, ints, cities, lorem ipsum).
// Prints `SEED drizzle-seed sqlite <rows> <seconds>`, the best of
// SLEET_BENCH_SEED_RUNS runs (3), each on a fresh database. Run from the
// folder where drizzle-seed, drizzle-orm and better-sqlite3 are installed
// (bench/seed.sh installs them under build/, outside the sources).
import Database from "better-sqlite3";
import { drizzle } from "drizzle-orm/better-sqlite3";
import { sqliteTable, integer, text } from "drizzle-orm/sqlite-core";
import { seed } from "drizzle-seed";

const USERS = Number(process.env.SLEET_BENCH_SEED_USERS || 10000);
const PER = 10;
const RUNS = Number(process.env.SLEET_BENCH_SEED_RUNS || 3);

const users = sqliteTable("users", {
  id: integer("id").primaryKey(),
  name: text("name").notNull(),
  email: text("email").notNull().unique(),
  age: integer("age"),
  city: text("city"),
});
const posts = sqliteTable("posts", {
  id: integer("id").primaryKey(),
  authorId: integer("author_id").notNull().references(() => users.id),
  title: text("title").notNull(),
  body: text("body"),
  score: integer("score"),
});

let best = Infinity;
let rows = 0;
for (let run = 0; run < RUNS; run++) {
  const sqlite = new Database(":memory:");
  sqlite.exec(`create table users (id integer primary key, name text not null,
    email text not null unique, age integer, city text);
    create table posts (id integer primary key, author_id integer not null
    references users(id), title text not null, body text, score integer);`);
  const db = drizzle(sqlite);
  const t0 = performance.now();
  await seed(db, { users, posts }, { seed: 1 }).refine((f) => ({
    users: {
      count: USERS,
      columns: {
        name: f.fullName(), email: f.email(),
        age: f.int({ minValue: 18, maxValue: 90 }), city: f.city(),
      },
      with: { posts: PER },
    },
    posts: {
      columns: {
        title: f.loremIpsum({ sentencesCount: 1 }),
        body: f.loremIpsum({ sentencesCount: 3 }),
        score: f.int({ minValue: 0, maxValue: 100 }),
      },
    },
  }));
  const dt = (performance.now() - t0) / 1000;
  const n = sqlite.prepare("select (select count(*) from users) + " +
    "(select count(*) from posts) as n").get().n;
  if (n !== USERS * (PER + 1)) throw new Error(`rows written: ${n}`);
  rows = n;
  if (dt < best) best = dt;
  sqlite.close();
}
console.log(`SEED drizzle-seed sqlite ${rows} ${best.toFixed(6)}`);
