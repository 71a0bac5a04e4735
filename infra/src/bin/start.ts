console.log('repute: the one-machine launcher is not built yet; `npm test` runs the test suite.');
