-- The requests of one benchmark run, for `wrk -s bench/load.lua URL -- ARGS`.
--
-- ARGS: MODE LIMIT NUMBER_ID REQUIREMENT_ID VALUE_PREFIX TOKEN
--   MODE      patch | get-one | get-list | mixed (patch, get-one, get-list in turn)
--   LIMIT     stop after this many responses (0: run for wrk's -d duration); on
--             reaching it the script prints BENCH-LIMIT-REACHED and bench/run.py
--             interrupts wrk, which then reports as usual
--   VALUE_PREFIX  every PATCH writes VALUE_PREFIX .. counter, so each request
--             stores a value different from the one before it
-- URL is the server's base address, e.g. http://127.0.0.1:4010

local report = dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")
local NUMBERS = "/v2/number_order_phone_numbers"

local mode, limit, number_id, requirement_id, prefix, token
local counter, issued, seen, announced = 0, 0, 0, false
local get_one_request, get_list_request

local function patch_request()
   counter = counter + 1
   local body = string.format(
      '{"regulatory_requirements":[{"requirement_id":"%s","field_value":"%s%d"}]}',
      requirement_id, prefix, counter)
   return wrk.format("PATCH", NUMBERS .. "/" .. number_id, {
      ["Authorization"] = "Bearer " .. token,
      ["Content-Type"] = "application/json",
   }, body)
end

function init(args)
   mode = args[1] or "get-one"
   limit = tonumber(args[2] or "0") or 0
   number_id = args[3]
   requirement_id = args[4]
   prefix = args[5] or "Beispiel GmbH "
   token = args[6] or "bench-token"
   local auth = { ["Authorization"] = "Bearer " .. token }
   get_one_request = wrk.format("GET", NUMBERS .. "/" .. number_id, auth)
   get_list_request = wrk.format("GET", NUMBERS, auth)
end

function request()
   if mode == "patch" then
      return patch_request()
   elseif mode == "get-one" then
      return get_one_request
   elseif mode == "get-list" then
      return get_list_request
   end
   issued = issued + 1
   local turn = issued % 3
   if turn == 1 then
      return patch_request()
   elseif turn == 2 then
      return get_one_request
   end
   return get_list_request
end

function response(status, headers, body)
   seen = seen + 1
   if limit > 0 and seen >= limit and not announced then
      announced = true
      io.write("BENCH-LIMIT-REACHED\n")
      io.flush()
      wrk.thread:stop()
   end
end

done = report
