-- Each wrk thread claims its own range of demand ids, so every request claims a fresh demand.
local count = 0
function setup(thread)
  thread:set("tindex", count)
  count = count + 1
end
function init(args)
  first, span, pattern = tonumber(args[1]), tonumber(args[2]), args[3]
  n = 0
  if args[4] and args[4] ~= "" then wrk.headers["Cookie"] = args[4] end
  if args[5] and args[5] ~= "" then wrk.headers["X-CSRFToken"] = args[5] end
  body = ""
  if args[6] and args[6] ~= "" then  -- the API's claim: a bearer token and a JSON body
    wrk.headers["Authorization"] = args[6]
    wrk.headers["Content-Type"] = "application/json"
    body = '{"values": {}}'
  else
    wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  end
end
function request()
  n = n + 1
  return wrk.format("POST", string.format(pattern, first + tindex * span + n), nil, body)
end
