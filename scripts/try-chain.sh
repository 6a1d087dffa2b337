#!/usr/bin/env bash
# The chain from a school's signal to a served child, with curl and jq, against a running platform
# (scripts/run.sh). The README's "The flow with curl" shows these same commands step by step.
#
# It works in its own gemeente (GM0363, Amsterdam; the demo uses GM0518 and GM0014), so it never
# collides with the demo, and it can run again: every run makes a new child. Ids are never copied by
# hand: each answer's id goes into a variable.
#
#   scripts/try-chain.sh                 # against scripts/run.sh's ports
#   KP_GEMEENTE=GM0344 scripts/try-chain.sh
#
# KP_ISSUER, KP_REGIE, KP_SIGNALLING, KP_APPLICATION, KP_PROVISION, KP_DASHBOARD override the
# addresses (the end-to-end test runs it against throw-away services this way).
set -euo pipefail
[ -z "${KP_TRACE:-}" ] || set -x   # the end-to-end test traces every command, to show where a run stopped

ISSUER=${KP_ISSUER:-http://127.0.0.1:8079}
REGIE_API=${KP_REGIE:-http://127.0.0.1:8081}
SIGNALLING_API=${KP_SIGNALLING:-http://127.0.0.1:8082}
APPLICATION_API=${KP_APPLICATION:-http://127.0.0.1:8083}
PROVISION_API=${KP_PROVISION:-http://127.0.0.1:8084}
DASHBOARD_API=${KP_DASHBOARD:-http://127.0.0.1:8080}
G=${KP_GEMEENTE:-GM0363}
JAAR=$(date +%Y)
VANDAAG=$(date +%F)

command -v jq >/dev/null || { echo "try-chain: jq is missing (scripts/install-deps.sh installs it)" >&2; exit 1; }

step() { printf '\n== %s\n' "$*"; }
token() {
  curl -sf "$ISSUER/token" -H Content-Type:application/json \
    -d "{\"organisatie\": \"$1\", \"rol\": \"$2\", \"gemeenten\": [\"$G\"]}" | jq -r .token
}
# POST JSON as a token; prints the answer; fails on an error status (showing the Dutch problem).
post() {
  local auth=$1 url=$2 body=$3 answer status
  answer=$(curl -s -w '\n%{http_code}' -H Content-Type:application/json ${auth:+-H "Authorization: Bearer $auth"} "$url" -d "$body")
  status=${answer##*$'\n'}
  answer=${answer%$'\n'*}
  if [ "${status:0:1}" != 2 ]; then echo "try-chain: $status from $url: $answer" >&2; return 1; fi
  printf '%s' "$answer"
}
get() { curl -sf ${1:+-H "Authorization: Bearer $1"} "$2"; }
# Retries a command for up to 30 s: what one service recorded reaches the others a moment later.
retry() {
  local tries=0
  until "$@" 2>/dev/null; do
    tries=$((tries + 1))
    [ "$tries" -lt 60 ] || { "$@"; return 1; }
    sleep 0.5
  done
}

REGIE=$(token gemeente-amsterdam regievoerder)
SCHOOL=$(token basisschool-de-regenboog signaller)
CLUB=$(token vv-de-zwaluwen partner)

step "1. Regie publishes this year's regeling, enrols Leergeld and a sports club, routes signals for sport to Leergeld, and enrols a school to signal"
post "$REGIE" "$REGIE_API/api/v1/gemeenten/$G/regelingen" "{
  \"jaar\": $JAAR, \"geldigVanaf\": \"$JAAR-01-01\", \"geldigTot\": \"$JAAR-12-31\",
  \"inkomensgrens\": {\"soort\": \"percentage\", \"percentage\": 120},
  \"voorzieningen\": [{\"code\": \"sportcontributie\", \"naam\": \"Sportcontributie\",
    \"type\": \"maatschappelijke_participatie\", \"leeftijdVan\": 4, \"leeftijdTot\": 17,
    \"waardeCent\": 25000, \"vorm\": \"in_natura\"}]}" >/dev/null || echo "(the regeling of $JAAR was published before)"
for partner in 'leergeld:Stichting Leergeld:"sportcontributie"' 'vv-de-zwaluwen:VV De Zwaluwen:"sportcontributie"'; do
  IFS=: read -r code name provisions <<<"$partner"
  post "$REGIE" "$REGIE_API/api/v1/gemeenten/$G/partners" "{\"partner\": \"$code\", \"naam\": \"$name\",
    \"voorzieningen\": [$provisions], \"rollen\": [\"verstrekken\"]}" >/dev/null || echo "($code was enrolled before)"
done
# The routing before the school: both reach the signalling service in this order, so it routes the
# school's first signal.
retry curl -sf -X PUT -H Content-Type:application/json -H "Authorization: Bearer $REGIE" \
  "$REGIE_API/api/v1/gemeenten/$G/routering" -d '{"routes": [{"voorzieningsoort": "maatschappelijke_participatie",
  "naar": {"partner": "leergeld"}, "reactietermijnWerkdagen": 5}]}' >/dev/null
post "$REGIE" "$REGIE_API/api/v1/gemeenten/$G/partners" '{"partner": "basisschool-de-regenboog",
  "naam": "Basisschool De Regenboog", "rollen": ["signaleren"]}' >/dev/null || echo "(the school was enrolled before)"
echo "regeling, partners, school and routing in place"

step "2. The school identifies a pupil by name and date of birth, and signals her by its own reference"
GEBOORTEDATUM="2016-$(printf %02d $((RANDOM % 12 + 1)))-$(printf %02d $((RANDOM % 28 + 1)))"
# (The application service learns of the school's enrolment a moment after regie recorded it.)
identify() {
  post "$1" "$APPLICATION_API/api/v1/gemeenten/$G/identificaties" \
    "{\"kind\": {\"voornaam\": \"Noor\", \"achternaam\": \"Bakker\", \"geboortedatum\": \"$GEBOORTEDATUM\"}}"
}
REFERENTIE=$(retry identify "$SCHOOL" | jq -r .kind)
echo "the school's reference of the child: $REFERENTIE"
signal() {
  post "$SCHOOL" "$SIGNALLING_API/api/v1/gemeenten/$G/signaleringen" "{\"kind\": \"$REFERENTIE\",
    \"voorzieningsoort\": \"maatschappelijke_participatie\", \"reden\": \"laag_inkomen\"}"
}
SIGNALERING=$(retry signal | jq -r .id)
# The routing reaches the signalling service a moment after regie set it: a signal made before
# then went to the loket, and regie re-routes it.
VERWEZEN=$(retry get "$REGIE" "$SIGNALLING_API/api/v1/gemeenten/$G/signaleringen/$SIGNALERING" | jq -r '.verwezenNaar.partner // "loket"')
if [ "$VERWEZEN" != leergeld ]; then
  post "$REGIE" "$SIGNALLING_API/api/v1/gemeenten/$G/signaleringen/$SIGNALERING/herroutering" \
    '{"naar": {"partner": "leergeld"}}' >/dev/null
fi
echo "signal $SIGNALERING: $(retry get "$SCHOOL" "$SIGNALLING_API/api/v1/gemeenten/$G/signaleringen/$SIGNALERING" | jq -c '{status}')"

step "3. Leergeld has no account: regie sends it one-time links; it picks the signal up and reaches the family"
for antwoord in opgepakt gezin-bereikt; do
  LINK=$(post "$REGIE" "$SIGNALLING_API/api/v1/gemeenten/$G/signaleringen/$SIGNALERING/eenmalige-link" '{}' | jq -r .url)
  echo "Leergeld opens $LINK and sees: $(get "" "$SIGNALLING_API$LINK" | jq -c .)"
  post "" "$SIGNALLING_API$LINK" "{\"antwoord\": \"$antwoord\"}" | jq -c '{status}'
done

step "4. The loket applies on the family's behalf (consent and gezag recorded), citing the school's signal"
GEZIN=$(post "$REGIE" "$APPLICATION_API/api/v1/gemeenten/$G/identificaties" \
  "{\"kind\": {\"voornaam\": \"Noor\", \"achternaam\": \"Bakker\", \"geboortedatum\": \"$GEBOORTEDATUM\"},
    \"ouder\": {\"voornaam\": \"Fatima\", \"achternaam\": \"Bakker\", \"geboortedatum\": \"1988-02-03\"}}")
aanvraag() {
  post "$REGIE" "$APPLICATION_API/api/v1/gemeenten/$G/aanvragen" "{\"kanaal\": \"loket\",
    \"huishouden\": $(jq .huishouden <<<"$GEZIN"), \"inkomenPercentage\": 105,
    \"kinderen\": [{\"kind\": $(jq .kind <<<"$GEZIN"), \"geboortejaar\": 2016, \"geboortemaand\": $((10#${GEBOORTEDATUM:5:2}))}],
    \"voorzieningen\": [\"sportcontributie\"], \"signalering\": \"$SIGNALERING\",
    \"toestemming\": {\"gegeven\": true, \"datum\": \"$VANDAAG\", \"vorm\": \"mondeling\"},
    \"gezag\": {\"verklaard\": true}}"
}
AANVRAAG=$(retry aanvraag | jq -r .id)
echo "application $AANVRAAG"

step "5. The regeling decides"
beoordeling() { post "$REGIE" "$APPLICATION_API/api/v1/gemeenten/$G/aanvragen/$AANVRAAG/beoordeling" '{}'; }
BESLUIT=$(retry beoordeling)
jq -c '{status, uitkomsten: [.beoordeling.uitkomsten[] | {voorziening, toegekend, bedragCent}]}' <<<"$BESLUIT"

step "6. Noor joins the sports club: the club identifies her, finds her entitlement in its work list by its own reference, and records the membership"
CLUB_REFERENTIE=$(retry identify "$CLUB" | jq -r .kind)
eigen_recht() {
  get "$CLUB" "$PROVISION_API/api/v1/gemeenten/$G/rechten?voorziening=sportcontributie&aantal=200" |
    jq -er --arg kind "$CLUB_REFERENTIE" 'first(.items[] | select(.kind == $kind) | .id)'
}
RECHT=$(retry eigen_recht)
post "$CLUB" "$PROVISION_API/api/v1/gemeenten/$G/rechten/$RECHT/verstrekkingen" \
  '{"vorm": "in_natura", "bedragCent": 18000}' | jq -c '{verstrekking, besteedCent, restCent}'

step "7. The school sees what became of its signal: status only"
bediend() {
  get "$SCHOOL" "$SIGNALLING_API/api/v1/gemeenten/$G/signaleringen" |
    jq -e --arg id "$SIGNALERING" '.items[] | select(.id == $id and .status == "bediend")'
}
retry bediend | jq -c .

step "8. The dashboard counts the child once at every step"
telling() { get "$REGIE" "$DASHBOARD_API/api/v1/gemeenten/$G/trechter" | jq -e 'select(.bediend >= 1)'; }
retry telling | jq -c '{gesignaleerd, aangevraagd, toegekend, bediend}'
echo
echo "try-chain: done — signal $SIGNALERING, application $AANVRAAG, served."
