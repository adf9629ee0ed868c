-- The word lists behind sleet.seed's text generators, written for sleet.
-- Each list is one string of items separated by commas, split once when
-- the module loads. The sizes matter: emails combine first × last ×
-- domain (about 1.9 million before a numeric suffix is needed), full
-- names first × last, job titles level × area × role, companies word ×
-- word × suffix, street addresses number × street × suffix.
--
-- The order of every list is part of the seeded data: appending keeps the
-- old indices but changes which item a draw lands on, so a change here
-- changes the rows a given seed produces (note it in the changelog).
local M = {}

local raw = {
  first = [[
Aaron,Abel,Abigail,Ada,Adele,Adrian,Agnes,Aidan,Aileen,Alan,Alba,Albert,
Alec,Alexa,Alfie,Alice,Alma,Alvin,Amara,Amber,Amelia,Amos,Anders,Andrea,
Angus,Anika,Anton,April,Arden,Ariel,Arlo,Arthur,Astrid,Aubrey,August,
Aurora,Austin,Ava,Axel,Barnaby,Basil,Beatrix,Bella,Benedict,Bernard,Beth,
Bianca,Blair,Bodhi,Bonnie,Brady,Brenda,Brian,Bridget,Bruno,Caleb,Calla,
Calvin,Camila,Carla,Carmen,Casper,Cecil,Celia,Chandra,Chester,Chloe,
Clara,Clement,Cleo,Colette,Conrad,Cora,Cyrus,Dahlia,Daisy,Dalton,Damon,
Daphne,Darius,Delia,Dennis,Dexter,Diana,Dina,Dorian,Dora,Douglas,Edgar,
Edith,Edmund,Edwin,Eileen,Elias,Eliza,Ellis,Elsa,Emil,Emma,Enzo,Erica,
Ernest,Esme,Esther,Ethan,Eva,Evelyn,Ezra,Fabian,Faith,Felix,Fern,Fiona,
Flora,Floyd,Frances,Freya,Gareth,Gemma,Georgia,Gideon,Gilbert,Gina,Glenn,
Grace,Gregor,Greta,Gus,Gwen,Hana,Harlan,Harriet,Hazel,Hector,Heidi,Helena,
Henrik,Hilda,Holly,Hugo,Ida,Igor,Imogen,Ines,Ingrid,Ira,Iris,Isaac,Isla,
Ivan,Ivy,Jacob,Jade,Jasper,Joanna,Joel,Jonah,Josie,Jude,Julian,June,
Kai,Kara,Keith,Kendra,Kian,Kira,Klaus,Lana,Lars,Laura,Leah,Leon,Leona,
Levi,Lila,Linus,Lionel,Lola,Lorenzo,Lucia,Luna,Lydia,Mabel,Magnus,Maia,
Malcolm,Marcel,Margot,Maris,Martha,Mason,Matilda,Maxine,Milo,Mina,Miriam,
Monty,Nadia,Naomi,Nathan,Nell,Nico,Nina,Noah,Nora,Odette,Olaf,Olive,
Omar,Opal,Orson,Oscar,Otto,Paloma,Pascal,Paula,Pearl,Penelope,Percy,
Petra,Philip,Phoebe,Piper,Quentin,Quinn,Rafael,Ramona,Reid,Rhea,Rhys,
Rita,Roland,Rosa,Rowan,Ruby,Rufus,Ruth,Sabine,Sadie,Samir,Selma,Silas,
Simone,Soren,Stella,Stellan,Sybil,Tamsin,Tessa,Thea,Theo,Tobias,Trudy,
Ulric,Una,Valerie,Vera,Victor,Vida,Vince,Viola,Wade,Walter,Wanda,Wendell,
Willa,Wyatt,Xavier,Yara,Yusuf,Yvette,Zachary,Zara,Zelda,Zoe]],
  last = [[
Abbott,Acosta,Adair,Aldridge,Alvarez,Ambrose,Archer,Arden,Ashby,Atwood,
Bailey,Baird,Barlow,Barnett,Baxter,Beckett,Bellamy,Benson,Birch,Blackwood,
Blake,Bowen,Bradley,Brennan,Briggs,Brooks,Bryant,Burke,Byrne,Calder,
Callahan,Carver,Castillo,Chandler,Chase,Clayton,Cobb,Coleman,Conley,
Cooper,Corbett,Crane,Crawford,Cross,Dalton,Daniels,Darby,Davies,Dawson,
Delgado,Dempsey,Dillon,Doyle,Drake,Duncan,Dunn,Easton,Ellery,Ellison,
Emerson,Ennis,Espinoza,Everett,Fairfax,Farrell,Fenton,Ferris,Finch,
Fletcher,Flores,Flynn,Forbes,Fowler,Frost,Fuller,Gallagher,Garner,Garza,
Gibbs,Gilmore,Glover,Goodwin,Graves,Greer,Griffin,Hale,Halloway,Hardin,
Harlow,Hartley,Hastings,Hayes,Hendrix,Hewitt,Holland,Holt,Horne,Hughes,
Hunt,Ingram,Irwin,Jarvis,Jensen,Keane,Keller,Kemp,Kendall,Kerr,Kimball,
Kirby,Knox,Lambert,Landry,Larsen,Lawson,Leland,Lester,Lindqvist,Lowell,
Lucero,Lynch,Maddox,Malone,Marsh,Mathis,Maxwell,Mercer,Merritt,Miles,
Monroe,Morales,Morrow,Moss,Munoz,Nash,Navarro,Nolan,Norris,Novak,Oakley,
Olsen,Ortega,Osborne,Owens,Padilla,Palmer,Parrish,Pearce,Pennington,
Perry,Pierce,Porter,Prescott,Quill,Quinlan,Ramsey,Randall,Rasmussen,
Reeves,Reyes,Rhodes,Riggs,Rios,Rowe,Russo,Salazar,Sanderson,Santos,
Sawyer,Schaefer,Sexton,Shaw,Shelby,Sherwood,Sinclair,Slater,Sloane,
Spencer,Stafford,Stark,Stone,Sullivan,Sutton,Tanner,Tate,Thornton,Toller,
Townsend,Tucker,Turner,Underwood,Upton,Valdez,Vance,Vaughn,Vega,Voss,
Wade,Walsh,Warren,Waters,Webb,Wells,Weston,Whitaker,Wilder,Winslow,Wolfe,
Woodley,Wren,Wyatt,Yates,Yoder,York,Young,Zamora,Zeller,Ziegler,Ashford,
Bancroft,Carrow,Denholm,Elwood,Fairbanks,Galloway,Hadley,Ives,Jameson,
Kessler,Lockwood,Mayfield,Northcott,Orwell,Pemberton,Radcliffe,Stanhope,
Thackeray,Vale,Whitlock,Ainsley,Brightwater,Coldwell,Dunmore,Eastwood,
Fernsby,Greenhill,Holloway,Kingsley,Langford,Marlowe,Netherby,Oldham,
Parkhurst,Redfern,Stoneleigh,Trevelyan,Wetherby]],
  domain = [[
example.com,example.org,example.net,mail.test,inbox.test,post.test,
letters.test,maildrop.example,postbox.example,courier.example,
quill.example,pigeon.example,relay.example,dispatch.example,
envelope.example,stamp.example,outbox.example,mailer.example,
notes.example,memo.example,wire.example,parcel.example,telegram.example,
sender.example,reply.example,missive.example,bulletin.example,
circular.example,digest.example,journal.example]],
  country = [[
Afghanistan,Albania,Algeria,Andorra,Angola,Argentina,Armenia,Australia,
Austria,Azerbaijan,Bahamas,Bahrain,Bangladesh,Barbados,Belarus,Belgium,
Belize,Benin,Bhutan,Bolivia,Botswana,Brazil,Brunei,Bulgaria,Burkina Faso,
Burundi,Cambodia,Cameroon,Canada,Cape Verde,Chad,Chile,China,Colombia,
Comoros,Costa Rica,Croatia,Cuba,Cyprus,Czechia,Denmark,Djibouti,Dominica,
Dominican Republic,Ecuador,Egypt,El Salvador,Eritrea,Estonia,Eswatini,
Ethiopia,Fiji,Finland,France,Gabon,Gambia,Georgia,Germany,Ghana,Greece,
Grenada,Guatemala,Guinea,Guyana,Haiti,Honduras,Hungary,Iceland,India,
Indonesia,Iran,Iraq,Ireland,Israel,Italy,Jamaica,Japan,Jordan,Kazakhstan,
Kenya,Kiribati,Kuwait,Kyrgyzstan,Laos,Latvia,Lebanon,Lesotho,Liberia,
Libya,Liechtenstein,Lithuania,Luxembourg,Madagascar,Malawi,Malaysia,
Maldives,Mali,Malta,Mauritania,Mauritius,Mexico,Moldova,Monaco,Mongolia,
Montenegro,Morocco,Mozambique,Myanmar,Namibia,Nauru,Nepal,Netherlands,
New Zealand,Nicaragua,Niger,Nigeria,North Macedonia,Norway,Oman,Pakistan,
Palau,Panama,Papua New Guinea,Paraguay,Peru,Philippines,Poland,Portugal,
Qatar,Romania,Rwanda,Samoa,San Marino,Saudi Arabia,Senegal,Serbia,
Seychelles,Sierra Leone,Singapore,Slovakia,Slovenia,Somalia,South Africa,
South Korea,Spain,Sri Lanka,Sudan,Suriname,Sweden,Switzerland,Syria,
Tajikistan,Tanzania,Thailand,Togo,Tonga,Tunisia,Turkey,Turkmenistan,
Tuvalu,Uganda,Ukraine,United Arab Emirates,United Kingdom,United States,
Uruguay,Uzbekistan,Vanuatu,Venezuela,Vietnam,Yemen,Zambia,Zimbabwe]],
  city = [[
Aberdeen,Adelaide,Albany,Alexandria,Amsterdam,Anchorage,Antwerp,Athens,
Auckland,Austin,Baltimore,Bangkok,Barcelona,Basel,Beirut,Belfast,
Bergen,Berlin,Bilbao,Birmingham,Bologna,Bordeaux,Boston,Bratislava,
Bremen,Brisbane,Bristol,Brno,Brussels,Bucharest,Budapest,Buenos Aires,
Cairo,Calgary,Cambridge,Cape Town,Cardiff,Casablanca,Charleston,Chicago,
Cologne,Copenhagen,Cork,Curitiba,Dakar,Dallas,Delft,Denver,Dresden,
Dublin,Dundee,Durban,Edinburgh,Edmonton,Eindhoven,Florence,Frankfurt,
Galway,Geneva,Genoa,Ghent,Glasgow,Gothenburg,Granada,Graz,Groningen,
Guadalajara,Hamburg,Hanoi,Hanover,Havana,Helsinki,Hobart,Honolulu,
Houston,Innsbruck,Istanbul,Jakarta,Kyoto,Krakow,Lagos,Leeds,Leipzig,
Lille,Lima,Lisbon,Liverpool,Ljubljana,Lyon,Madrid,Malaga,Malmo,
Manchester,Marseille,Melbourne,Memphis,Milan,Minneapolis,Montreal,
Munich,Nagoya,Nairobi,Nantes,Naples,Nashville,Newcastle,Nice,Oakland,
Odense,Osaka,Oslo,Ottawa,Oxford,Palermo,Paris,Perth,Philadelphia,
Phoenix,Pittsburgh,Porto,Portland,Prague,Quebec,Quito,Reykjavik,Riga,
Rome,Rotterdam,Salzburg,San Diego,Santiago,Sapporo,Seattle,Seville,
Sheffield,Singapore,Sofia,Stockholm,Stuttgart,Sydney,Tallinn,Tampere,
Tokyo,Toronto,Toulouse,Trieste,Tucson,Turin,Turku,Utrecht,Valencia,
Vancouver,Venice,Verona,Vienna,Vilnius,Warsaw,Wellington,Winnipeg,
Wroclaw,York,Zagreb,Zurich]],
  street = [[
Acorn,Alder,Amber,Apple,Ash,Aspen,Bay,Beacon,Bear,Beech,Birch,Bluebell,
Bramble,Briar,Brook,Canal,Cedar,Chapel,Cherry,Chestnut,Church,Clover,
Copper,Cotton,Crescent,Cypress,Daisy,Dale,Dove,Elder,Elm,Fern,Field,
Fir,Forest,Fox,Garden,Glen,Granite,Hazel,Heather,Hickory,High,Hill,
Holly,Ivy,Juniper,Lake,Larch,Laurel,Lavender,Lilac,Linden,Maple,Marsh,
Meadow,Mill,Mint,Moss,Oak,Orchard,Park,Pebble,Pine,Pond,Poplar,Quarry,
Raven,Ridge,River,Robin,Rose,Rowan,Sage,School,Shore,Silver,Spring,
Spruce,Station,Stone,Summit,Sunset,Swan,Sycamore,Thistle,Timber,Tulip,
Valley,Vine,Walnut,Water,Willow,Windmill,Wren,Yew]],
  streetSuffix = [[
Street,Avenue,Road,Lane,Drive,Way,Court,Place,Terrace,Boulevard,Close,
Row,Walk,Square,Crescent]],
  companyWord = [[
Acme,Apex,Arbor,Atlas,Aurora,Beacon,Birch,Blue,Bright,Cascade,Cedar,
Cobalt,Comet,Copper,Crest,Delta,Drift,Echo,Ember,Falcon,Fern,Flint,
Forge,Frontier,Glacier,Golden,Granite,Harbor,Helix,Horizon,Iron,Juniper,
Keystone,Lantern,Lumen,Maple,Meridian,Nimbus,North,Oak,Orbit,Peak,
Pioneer,Polar,Prairie,Quartz,Radiant,Ridge,River,Sable,Sage,Silver,
Solar,Spruce,Summit,Tidal,Timber,Vertex,Willow,Zenith]],
  companySuffix = [[
Labs,Group,Works,Systems,Partners,Holdings,Industries,Studio,Collective,
Ventures,Logistics,Solutions,Foods,Energy,Analytics,Trading,Media,
Supply,Goods,Consulting]],
  jobLevel = [[
Junior,Senior,Lead,Principal,Chief,Associate,Assistant,Staff,Head,
Deputy,Regional,Global]],
  jobArea = [[
Data,Product,Marketing,Sales,Finance,Security,Infrastructure,Research,
Design,Operations,Quality,Support,Legal,Logistics,Brand,Customer,
Procurement,Compliance,Platform,Mobile]],
  jobRole = [[
Engineer,Analyst,Manager,Designer,Architect,Consultant,Specialist,
Coordinator,Director,Strategist,Officer,Administrator,Developer,Planner,
Technician,Advisor]],
  state = [[
Alabama,Alaska,Arizona,Arkansas,California,Colorado,Connecticut,Delaware,
Florida,Georgia,Hawaii,Idaho,Illinois,Indiana,Iowa,Kansas,Kentucky,
Louisiana,Maine,Maryland,Massachusetts,Michigan,Minnesota,Mississippi,
Missouri,Montana,Nebraska,Nevada,New Hampshire,New Jersey,New Mexico,
New York,North Carolina,North Dakota,Ohio,Oklahoma,Oregon,Pennsylvania,
Rhode Island,South Carolina,South Dakota,Tennessee,Texas,Utah,Vermont,
Virginia,Washington,West Virginia,Wisconsin,Wyoming]],
  lorem = [[
lorem,ipsum,dolor,sit,amet,consectetur,adipiscing,elit,sed,do,eiusmod,
tempor,incididunt,ut,labore,et,dolore,magna,aliqua,enim,ad,minim,veniam,
quis,nostrud,exercitation,ullamco,laboris,nisi,aliquip,ex,ea,commodo,
consequat,duis,aute,irure,in,reprehenderit,voluptate,velit,esse,cillum,
eu,fugiat,nulla,pariatur,excepteur,sint,occaecat,cupidatat,non,proident,
sunt,culpa,qui,officia,deserunt,mollit,anim,id,est,laborum,curabitur,
pretium,tincidunt,lacus,nunc,vitae,aliquet,nec,ullamcorper,mattis,
pulvinar,dapibus,leo,integer,feugiat,scelerisque,varius,morbi,tristique,
senectus,netus,malesuada,fames,ac,turpis,egestas,maecenas,pharetra,
convallis,posuere,orci,porta,non,viverra,suspendisse,potenti,nullam,
vehicula,ipsum,faucibus,libero,justo,laoreet,mauris,ultrices,eros,
blandit,cursus,risus,gravida,arcu,vulputate,odio,facilisis,sagittis,
purus,semper,auctor,neque,vivamus,urna,molestie,at,elementum,eget,
fermentum,dui,tellus,rutrum,hendrerit,ornare,massa,lectus,sodales]],
}

for name, text in pairs(raw) do
  local list = {}
  for item in text:gmatch("[^,]+") do
    item = item:gsub("^%s+", ""):gsub("%s+$", "")
    if item ~= "" then list[#list + 1] = item end
  end
  M[name] = list
end

return M
